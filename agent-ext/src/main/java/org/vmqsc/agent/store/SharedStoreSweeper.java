package org.vmqsc.agent.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Collects the chunks of a shared store (stable storage), which several hosts' agents write and read at once, in
 * two steps a grace period apart. A {@link ChunkGuard} cannot help here: it lives in one process.
 *
 * <ol>
 *   <li><b>Fossilize.</b> A pack older than the grace that holds no chunk any manifest names is renamed into
 *       {@code fossils/}, its name carrying the time; a pack older than the grace whose named chunks fill less than
 *       half of it has those chunks copied into a new pack (committed first), and is then renamed the same way.
 *   <li><b>Purge.</b> A fossil renamed at least the grace ago is deleted, unless a manifest read now names one of its
 *       chunks that no live pack holds: then it is renamed back into {@code packs/} under its old name.
 * </ol>
 *
 * <p>Why that is safe while hosts flush and restore: a flush asks {@link CheckpointStore#notStored} just before it
 * writes its manifest and stores again whatever lies in a pack that was moved away, so a manifest can name a
 * fossil's chunk only if the pack was renamed in the moment between that check and the manifest. The purge reads the
 * manifests a whole grace after the rename, so that manifest is there by then, and the fossil goes back. Meanwhile
 * a reader that finds a pack gone forgets it, reads the new packs, and at last looks among the fossils. This rests
 * on the check-to-manifest moment (a few file operations) being far below the grace, and on every time compared
 * being the file server's: a pack's modification time is, and the sweep takes its own "now" from a write to its
 * lock file, so hosts' clocks do not enter.
 *
 * <p>One sweep at a time across hosts: a sweep holds an exclusive lock on {@code sweep.lock} in the store's root and
 * returns at once, empty, when another holds it.
 */
public final class SharedStoreSweeper {

  /**
   * What one sweep did. Packs fossilized count the repacked ones too (their originals were moved aside); bytes
   * reclaimed are those of the fossils deleted.
   */
  public record Result(int packsFossilized, int packsRepacked, int fossilsDeleted, int fossilsRestored,
      long bytesReclaimed) {}

  static final String LOCK_FILE = "sweep.lock";
  /** Packs whose named chunks fill less than this share are rewritten. */
  private static final double REPACK_BELOW = 0.5;

  /** Roots this process is sweeping. */
  private static final Set<Path> SWEEPING = ConcurrentHashMap.newKeySet();

  private final DirectoryStore store;
  private final long graceMillis;
  private final long startMillis;
  private final long startNanos = System.nanoTime();
  private int fossilized;
  private int repacked;
  private int deleted;
  private int restored;
  private long reclaimed;

  private SharedStoreSweeper(DirectoryStore store, Duration grace, long startMillis) {
    this.store = store;
    this.graceMillis = grace.toMillis();
    this.startMillis = startMillis;
  }

  /**
   * Sweeps a shared store once, timed by the file server's clock; empty when another process is sweeping it.
   *
   * @param grace how long a new pack, and a fossil, is left alone: far longer than the moment between a flush's
   *     last check and its manifest, and than how long a host's view of the store's folders may lag (NFS caching)
   */
  public static Optional<Result> sweep(DirectoryStore store, Duration grace) throws IOException {
    return underLock(store, grace, null);
  }

  /** As {@link #sweep(DirectoryStore, Duration)}, with the time given (the server's time, for tests). */
  public static Optional<Result> sweep(DirectoryStore store, Duration grace, Instant now) throws IOException {
    return underLock(store, grace, now);
  }

  private static Optional<Result> underLock(DirectoryStore store, Duration grace, Instant now) throws IOException {
    if (!store.isShared()) {
      throw new IllegalArgumentException(store.describe() + " is not shared: collect it with the GarbageCollector");
    }
    // Within one process, first: the lock file's lock is the process's (POSIX), and closing any other channel on
    // the file would release it.
    Path root = store.root().toRealPath();
    if (!SWEEPING.add(root)) {
      return Optional.empty();
    }
    Path lockFile = root.resolve(LOCK_FILE);
    try (FileChannel channel = FileChannel.open(lockFile, Set.of(StandardOpenOption.CREATE,
        StandardOpenOption.READ, StandardOpenOption.WRITE), SafeFiles.OWNER_FILE)) {
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException sameProcess) {
        return Optional.empty();
      }
      if (lock == null) {
        return Optional.empty();
      }
      try (lock) {
        long start = now != null ? now.toEpochMilli() : serverTime(channel, lockFile);
        return Optional.of(new SharedStoreSweeper(store, grace, start).run());
      }
    } finally {
      SWEEPING.remove(root);
    }
  }

  /** The file server's time now: the modification time its write to the lock file gets. */
  private static long serverTime(FileChannel lock, Path lockFile) throws IOException {
    byte[] note = ("swept by process " + ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8);
    lock.truncate(0);
    lock.write(ByteBuffer.wrap(note), 0);
    lock.force(true);
    return Files.getLastModifiedTime(lockFile).toMillis();
  }

  /** The server's time now: the start's, plus what this host's monotonic clock says passed since. */
  private long nowMillis() {
    return startMillis + (System.nanoTime() - startNanos) / 1_000_000;
  }

  private Result run() throws IOException {
    // Manifests are read after the start: a fossil purged below was renamed a grace before any of these reads.
    Set<String> named = namedChunks();
    Map<Path, PackFile.Contents> live = livePacks();
    Set<String> inLivePacks = new HashSet<>();
    live.values().forEach(c -> c.records().forEach(r -> inLivePacks.add(r.hash())));
    purgeFossils(named, inLivePacks);
    for (Map.Entry<Path, PackFile.Contents> pack : live.entrySet()) {
      collect(pack.getKey(), pack.getValue(), named);
    }
    if (fossilized > 0 || deleted > 0 || restored > 0) {
      SafeFiles.syncDirectory(store.packDir());
      SafeFiles.syncDirectory(store.fossilDir());
    }
    return new Result(fossilized, repacked, deleted, restored, reclaimed);
  }

  /** Every chunk a manifest names, and every chunk a checkpoint under way in this process holds. */
  private Set<String> namedChunks() throws IOException {
    Set<String> named = store.guard().held();
    for (CheckpointKey key : store.checkpoints()) {
      // A manifest that cannot be read fails the sweep: collecting without it could delete its chunks.
      store.manifest(key).ifPresent(m -> m.chunks().stream()
          .filter(c -> !c.isZero()).forEach(c -> named.add(c.hash())));
    }
    return named;
  }

  /** The record headers of every pack in {@code packs/}; a damaged pack is left out, and so never collected. */
  private Map<Path, PackFile.Contents> livePacks() throws IOException {
    Map<Path, PackFile.Contents> live = new LinkedHashMap<>();
    for (Path pack : list(store.packDir(), PackFile.SUFFIX)) {
      try {
        PackFile.Contents contents = PackFile.read(pack);
        if (contents.problem() == null) {
          live.put(pack, contents);
        }
      } catch (NoSuchFileException gone) {
        // a sweep does not race itself; nothing else removes packs
      }
    }
    return live;
  }

  private void purgeFossils(Set<String> named, Set<String> inLivePacks) throws IOException {
    long before = startMillis - graceMillis;
    for (Path fossil : list(store.fossilDir(), PackFile.FOSSIL_SUFFIX)) {
      OptionalLong since = PackFile.fossilizedAt(fossil);
      if (since.isEmpty() || since.getAsLong() > before) {
        continue;
      }
      PackFile.Contents contents = PackFile.read(fossil);
      boolean needed = contents.records().stream()
          .anyMatch(r -> named.contains(r.hash()) && !inLivePacks.contains(r.hash()));
      if (needed) {
        // A manifest written while the pack was being moved aside names it: the pack is live again.
        Files.move(fossil, store.packDir().resolve(PackFile.packName(fossil)), StandardCopyOption.ATOMIC_MOVE);
        restored++;
      } else {
        Files.delete(fossil);
        deleted++;
        reclaimed += contents.size();
      }
    }
    if (restored > 0) {
      store.indexNewPacks();
    }
  }

  /** Moves aside a pack older than the grace that holds nothing named, or repacks one that holds little. */
  private void collect(Path pack, PackFile.Contents contents, Set<String> named) throws IOException {
    long modified;
    try {
      modified = Files.getLastModifiedTime(pack).toMillis();
    } catch (NoSuchFileException gone) {
      return;
    }
    if (modified > startMillis - graceMillis) {
      return;  // another host may have just committed it and not written its manifest yet
    }
    List<PackFile.Record> live = contents.records().stream().filter(r -> named.contains(r.hash())).toList();
    long liveBytes = live.stream().mapToLong(PackFile.Record::bytes).sum();
    if (!live.isEmpty() && liveBytes >= REPACK_BELOW * contents.size()) {
      return;
    }
    if (!live.isEmpty()) {
      try (DirectoryStore.PackWriter writer = store.openRelocatingWriter(live.get(0).checksummed())) {
        for (PackFile.Record record : live) {
          writer.putRecord(record.hash(), store.readRecord(record.hash(), record.location(pack)));
        }
        writer.commit();  // the copies are durable before the original goes
      }
      repacked++;
    }
    Path fossil = store.fossilDir().resolve(PackFile.fossilName(pack, nowMillis()));
    Files.move(pack, fossil, StandardCopyOption.ATOMIC_MOVE);
    store.forgetPack(pack);
    fossilized++;
  }

  private static List<Path> list(Path dir, String suffix) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.getFileName().toString().endsWith(suffix)).sorted().toList();
    }
  }
}
