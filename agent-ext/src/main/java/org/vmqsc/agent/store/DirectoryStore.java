package org.vmqsc.agent.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * A checkpoint store in a local directory (the host's staging area) or on a mounted share (secondary storage).
 *
 * <pre>
 *   root/chunks/ab/abcdef...   one file per chunk, named by its SHA-256
 *   root/manifests/vm-7/ck-42  one file per checkpoint
 * </pre>
 *
 * The directory is the index: opening a store scans it, removes temporary files a crash left behind, and rebuilds
 * the in-memory set of chunks. An optional capacity caps the bytes the store may occupy.
 *
 * <p>Durability comes in two kinds. A {@link Sharing#HOST_PRIVATE} store (the host's staging area, used by this
 * process alone) writes chunks without fsync and makes a checkpoint's chunks durable with one file-system sync
 * before its manifest; after a crash, chunks no manifest names may be incomplete, so opening the store deletes
 * them. A {@link Sharing#SHARED} store (secondary storage that other hosts also write) cannot tell another host's
 * chunk in progress from debris, so it fsyncs every chunk and leaves unreferenced ones to an explicit collection.
 */
public final class DirectoryStore implements CheckpointStore {

  public static final long UNLIMITED = Long.MAX_VALUE;

  /** Who writes the store; decides how chunks are made durable and what opening cleans up. */
  public enum Sharing { HOST_PRIVATE, SHARED }

  private final Path root;
  private final Path chunkDir;
  private final Path manifestDir;
  private final String name;
  private final long capacityBytes;
  private final Sharing sharing;
  private final Set<Path> unsynced = ConcurrentHashMap.newKeySet();
  private final Set<String> chunks = ConcurrentHashMap.newKeySet();
  private final AtomicLong usedBytes = new AtomicLong();
  private final ChunkGuard guard = new ChunkGuard();
  private final OpenReport openReport;

  /** What opening the store found and cleaned up. */
  public record OpenReport(int partialFilesRemoved, int unreferencedChunksRemoved, int chunks, int manifests,
      List<String> unreadableManifests) {}

  private DirectoryStore(String name, Path root, long capacityBytes, Sharing sharing) throws IOException {
    this.name = name;
    this.sharing = sharing;
    this.root = SafeFiles.ownerOnlyDirectory(root);
    this.chunkDir = SafeFiles.ownerOnlyDirectory(root.resolve("chunks"));
    this.manifestDir = SafeFiles.ownerOnlyDirectory(root.resolve("manifests"));
    this.capacityBytes = capacityBytes;
    this.openReport = recover();
  }

  /** Opens (or creates) a host-private store. */
  public static DirectoryStore open(String name, Path root) throws IOException {
    return new DirectoryStore(name, root, UNLIMITED, Sharing.HOST_PRIVATE);
  }

  public static DirectoryStore open(String name, Path root, long capacityBytes) throws IOException {
    return new DirectoryStore(name, root, capacityBytes, Sharing.HOST_PRIVATE);
  }

  /** Opens (or creates) a store that other hosts may write too. */
  public static DirectoryStore openShared(String name, Path root) throws IOException {
    return new DirectoryStore(name, root, UNLIMITED, Sharing.SHARED);
  }

  public OpenReport openReport() {
    return openReport;
  }

  public Path root() {
    return root;
  }

  private OpenReport recover() throws IOException {
    int partial = 0;
    int manifests = 0;
    List<String> unreadable = new ArrayList<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        if (!Files.isRegularFile(file)) {
          continue;
        }
        String fileName = file.getFileName().toString();
        if (fileName.endsWith(SafeFiles.TEMP_SUFFIX)) {
          Files.deleteIfExists(file);  // a write that never reached its rename
          partial++;
          continue;
        }
        if (file.startsWith(chunkDir) && ChunkHasher.isValidHex(fileName)) {
          chunks.add(fileName);
          usedBytes.addAndGet(Files.size(file));
        } else if (file.startsWith(manifestDir)) {
          manifests++;
          usedBytes.addAndGet(Files.size(file));
          try {
            ManifestCodec.decode(Files.readAllBytes(file), manifestDir.relativize(file).toString());
          } catch (IOException e) {
            unreadable.add(e.getMessage());
          }
        }
      }
    }
    int unreferenced = 0;
    if (sharing == Sharing.HOST_PRIVATE && unreadable.isEmpty()) {
      // Chunks no manifest names may be the unsynced remains of a crash: never dedup against them.
      unreferenced = GarbageCollector.collect(this).chunksDeleted();
    }
    return new OpenReport(partial, unreferenced, chunks.size(), manifests, List.copyOf(unreadable));
  }

  @Override public String describe() {
    return name + " store " + root;
  }

  private Path chunkPath(String hash) {
    return chunkDir.resolve(hash.substring(0, 2)).resolve(hash);
  }

  private Path manifestPath(CheckpointKey key) {
    return manifestDir.resolve(key.vmId()).resolve(key.checkpointId());
  }

  @Override public boolean hasChunk(String hash) {
    return chunks.contains(hash);
  }

  @Override public long putChunk(String hash, byte[] encoded) throws IOException {
    if (!ChunkHasher.isValidHex(hash)) {
      throw new IllegalArgumentException("not a chunk hash: " + hash);
    }
    if (chunks.contains(hash)) {
      return 0;
    }
    reserve(encoded.length, "chunk " + hash);
    try {
      Path target = chunkPath(hash);
      SafeFiles.ownerOnlyDirectory(target.getParent());
      boolean durableNow = sharing == Sharing.SHARED;
      SafeFiles.writeAtomically(target, encoded, durableNow);
      if (!durableNow) {
        unsynced.add(target);
      }
      chunks.add(hash);
      return encoded.length;
    } catch (IOException e) {
      usedBytes.addAndGet(-encoded.length);
      throw full(e, "chunk " + hash);
    }
  }

  @Override public byte[] readChunk(String hash) throws IOException {
    if (!ChunkHasher.isValidHex(hash)) {
      throw new IllegalArgumentException("not a chunk hash: " + hash);
    }
    try {
      return Files.readAllBytes(chunkPath(hash));
    } catch (NoSuchFileException e) {
      throw new MissingChunkException(hash, describe());
    }
  }

  @Override public void deleteChunk(String hash) throws IOException {
    Path path = chunkPath(hash);
    long size = Files.exists(path) ? Files.size(path) : 0;
    chunks.remove(hash);
    if (Files.deleteIfExists(path)) {
      usedBytes.addAndGet(-size);
    }
  }

  @Override public Set<String> chunkHashes() {
    return Collections.unmodifiableSet(Set.copyOf(chunks));
  }

  @Override public void sync() throws IOException {
    if (unsynced.isEmpty()) {
      return;
    }
    List<Path> batch = new ArrayList<>(unsynced);
    if (FileSystemSync.available()) {
      FileSystemSync.sync(root);
    } else {
      Set<Path> directories = new java.util.HashSet<>();
      for (Path file : batch) {
        try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(file,
            java.nio.file.StandardOpenOption.READ)) {
          channel.force(true);
        } catch (NoSuchFileException deleted) {
          continue;
        }
        directories.add(file.getParent());
      }
      for (Path directory : directories) {
        SafeFiles.syncDirectory(directory);
      }
    }
    batch.forEach(unsynced::remove);
  }

  @Override public long putManifest(Manifest manifest) throws IOException {
    manifest.validate();
    byte[] bytes = ManifestCodec.encode(manifest);
    reserve(bytes.length, "manifest of " + manifest.key());
    try {
      Path target = manifestPath(manifest.key());
      SafeFiles.ownerOnlyDirectory(target.getParent());
      long replaced = Files.exists(target) ? Files.size(target) : 0;
      SafeFiles.writeAtomically(target, bytes);
      usedBytes.addAndGet(-replaced);
      return bytes.length;
    } catch (IOException e) {
      usedBytes.addAndGet(-bytes.length);
      throw full(e, "manifest of " + manifest.key());
    }
  }

  @Override public Optional<Manifest> manifest(CheckpointKey key) throws IOException {
    Path path = manifestPath(key);
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(path);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    Manifest manifest = ManifestCodec.decode(bytes, key + " in " + describe());
    if (!manifest.key().equals(key)) {
      throw new IOException("manifest file for " + key + " in " + describe() + " describes " + manifest.key());
    }
    return Optional.of(manifest);
  }

  @Override public void deleteManifest(CheckpointKey key) throws IOException {
    Path path = manifestPath(key);
    long size = Files.exists(path) ? Files.size(path) : 0;
    if (Files.deleteIfExists(path)) {
      usedBytes.addAndGet(-size);
      SafeFiles.syncDirectory(path.getParent());
    }
  }

  @Override public List<CheckpointKey> checkpoints() throws IOException {
    List<CheckpointKey> keys = new ArrayList<>();
    try (Stream<Path> vms = Files.list(manifestDir)) {
      for (Path vm : (Iterable<Path>) vms::iterator) {
        try (Stream<Path> files = Files.list(vm)) {
          files.map(f -> f.getFileName().toString())
              .filter(n -> !n.endsWith(SafeFiles.TEMP_SUFFIX))
              .forEach(n -> keys.add(new CheckpointKey(vm.getFileName().toString(), n)));
        }
      }
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    Collections.sort(keys);
    return keys;
  }

  @Override public long usedBytes() {
    return usedBytes.get();
  }

  @Override public ChunkGuard guard() {
    return guard;
  }

  private void reserve(long bytes, String what) throws StoreFullException {
    long after = usedBytes.addAndGet(bytes);
    if (after > capacityBytes) {
      usedBytes.addAndGet(-bytes);
      throw new StoreFullException(describe() + " is full: writing " + what + " (" + bytes + " bytes) would exceed its "
          + capacityBytes + "-byte capacity", null);
    }
  }

  private IOException full(IOException e, String what) {
    if (e instanceof StoreFullException || !SafeFiles.isDiskFull(e)) {
      return e;
    }
    return new StoreFullException(describe() + " is full: no space left on its disk while writing " + what, e);
  }
}
