package org.vmqsc.agent.flush;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.List;
import org.vmqsc.agent.engine.Fingerprinter;
import org.vmqsc.agent.store.CheckpointKey;
import org.vmqsc.agent.store.CheckpointStore;
import org.vmqsc.agent.store.ChunkCodec;
import org.vmqsc.agent.store.ChunkGuard;
import org.vmqsc.agent.store.ChunkHasher;
import org.vmqsc.agent.store.ChunkLocation;
import org.vmqsc.agent.store.ChunkRef;
import org.vmqsc.agent.store.ChunkWriter;
import org.vmqsc.agent.store.CorruptChunkException;
import org.vmqsc.agent.store.Manifest;
import org.vmqsc.agent.store.MissingChunkException;

/**
 * Copies staged checkpoints to the stable store in the background, within a bandwidth budget. Chunks the stable store
 * already holds are not sent again; each chunk read from staging is verified on the way (a chunk that rotted on the
 * host is not spread to stable storage); the manifest goes last, and only then is the checkpoint reported STABLE. Just
 * before the manifest, chunks a sweep of the stable store moved away meanwhile are stored again.
 *
 * <p>A chunk the staging store names by staging key (see {@code StagingKeys}) gets its SHA-256 name here: it is
 * read from staging, checked against its fingerprint, SHA-256-hashed, and stored under that name unless the stable
 * store holds it already. The stable manifest names every chunk by SHA-256, so stable storage and its readers never
 * see a staging key. The names learnt for a VM's last flushed checkpoint are kept (in memory) with where the staging
 * store kept each chunk then, so that the chunks its next checkpoint reuses under the same keys, in the same stored
 * copies, are neither read nor hashed again while the stable store holds them (see {@link LearntNames}).
 */
public final class LazyFlusher implements AutoCloseable {

  /** Told about every change of state, on the flusher's thread. */
  public interface Listener {
    void stateChanged(CheckpointKey key, CheckpointState state);

    default void flushFailed(CheckpointKey key, IOException error) {}
  }

  /** How often a flush stores again chunks that vanished from the stable store before it gives up (and retries). */
  private static final int STORE_AGAIN_ROUNDS = 3;

  private final CheckpointStore staging;
  private final CheckpointStore stable;
  private final BandwidthBudget budget;
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private final Set<CheckpointKey> queue = new LinkedHashSet<>();
  private final Thread worker;
  /** The checkpoint being flushed now, or null; guarded by {@code queue}. */
  private CheckpointKey flushing;
  private final long retryMillis;
  private volatile boolean closed;
  /**
   * Per VM: staging key → SHA-256 name of the chunks of its last flushed checkpoint, learnt from their bytes, and
   * where staging kept them; the VMs flushed longest ago are forgotten first once their tables have more than
   * {@link #MAX_LEARNT} entries allocated together (their next flush then reads and hashes every staged chunk
   * again). Guarded by itself.
   */
  private final LinkedHashMap<String, LearntNames> learnt = new LinkedHashMap<>(16, 0.75f, true);
  /**
   * Entries allocated over all VMs' tables, {@value LearntNames#BYTES_PER_ENTRY} bytes each: 4 Mi is some 300 MiB,
   * the staged chunks of 32 GiB of guest memory in 8 KiB chunks. A flush under way holds one table more, sized by
   * its checkpoint's staged entries, until it replaces its VM's.
   */
  static final int MAX_LEARNT = Integer.getInteger("vmqsc.flushLearntNames", 1 << 22);
  /** {@link #MAX_LEARNT}, or less in tests; guarded by {@code learnt}. */
  private int maxLearnt = MAX_LEARNT;
  private final Fingerprinter fingerprinter;

  public LazyFlusher(CheckpointStore staging, CheckpointStore stable, BandwidthBudget budget, long retryMillis) {
    this(staging, stable, budget, retryMillis, Fingerprinter.xxh3());
  }

  /**
   * With another fingerprint function than XXH3-128, the one staging keys hold: tests pass the colliding one their
   * engine uses, standing in for an XXH3 collision a guest crafted.
   */
  LazyFlusher(CheckpointStore staging, CheckpointStore stable, BandwidthBudget budget, long retryMillis,
      Fingerprinter fingerprinter) {
    this.fingerprinter = fingerprinter;
    this.staging = staging;
    this.stable = stable;
    this.budget = budget;
    this.retryMillis = retryMillis;
    this.worker = new Thread(this::run, "vmqsc-flusher");
    this.worker.setDaemon(true);
  }

  public LazyFlusher addListener(Listener listener) {
    listeners.add(listener);
    return this;
  }

  public LazyFlusher start() {
    worker.start();
    return this;
  }

  /** Queues a staged checkpoint for flushing. */
  public void submit(CheckpointKey key) {
    synchronized (queue) {
      queue.add(key);
      queue.notifyAll();
    }
  }

  /**
   * Whether {@code key} waits to be flushed or is being flushed now: a checkpoint staged here and not on stable
   * storage is either this, or flushed already and deleted there since (another host collected it).
   */
  public boolean isPending(CheckpointKey key) {
    synchronized (queue) {
      return key.equals(flushing) || queue.contains(key);
    }
  }

  /** Where a checkpoint is, or empty if neither store has it. */
  public Optional<CheckpointState> state(CheckpointKey key) throws IOException {
    if (stable.manifest(key).isPresent()) {
      return Optional.of(CheckpointState.STABLE);
    }
    if (staging.manifest(key).isPresent()) {
      return Optional.of(CheckpointState.STAGED);
    }
    return Optional.empty();
  }

  /** Waits until a checkpoint is stable; false on timeout. */
  public boolean awaitStable(CheckpointKey key, long timeoutMillis) throws IOException, InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMillis;
    while (System.currentTimeMillis() < deadline) {
      if (state(key).orElse(null) == CheckpointState.STABLE) {
        return true;
      }
      Thread.sleep(20);
    }
    return state(key).orElse(null) == CheckpointState.STABLE;
  }

  private void run() {
    BackgroundPriority.lowerCurrentThread();
    while (!closed) {
      CheckpointKey key;
      synchronized (queue) {
        while (queue.isEmpty() && !closed) {
          try {
            queue.wait();
          } catch (InterruptedException e) {
            return;
          }
        }
        if (closed) {
          return;
        }
        key = queue.iterator().next();
        queue.remove(key);
        flushing = key;
      }
      try {
        flush(key);
      } catch (InterruptedException e) {
        return;
      } catch (IOException e) {
        listeners.forEach(l -> l.flushFailed(key, e));
        if (stillStaged(key)) retryLater(key);  // one collected meanwhile is not retried forever
      } finally {
        synchronized (queue) {
          flushing = null;
        }
      }
    }
  }

  /** Whether the staging store still holds {@code key} (or cannot tell: then it is tried again). */
  private boolean stillStaged(CheckpointKey key) {
    try {
      return staging.manifest(key).isPresent();
    } catch (IOException e) {
      return true;
    }
  }

  private void retryLater(CheckpointKey key) {
    try {
      Thread.sleep(retryMillis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    submit(key);
  }

  /** Copies one checkpoint now, on the calling thread. */
  public void flush(CheckpointKey key) throws IOException, InterruptedException {
    if (stable.manifest(key).isPresent()) {
      listeners.forEach(l -> l.stateChanged(key, CheckpointState.STABLE));
      return;
    }
    Optional<Manifest> staged = staging.manifest(key);
    if (staged.isEmpty()) {
      throw new IOException("cannot flush " + key + ": it is not in " + staging.describe());
    }
    Manifest manifest = staged.get();
    ChunkHasher hasher = new ChunkHasher();
    LearntNames before;
    synchronized (learnt) {
      before = learnt.get(key.vmId());
    }
    LearntNames names = null;  // this checkpoint's staging keys → SHA-256
    Map<String, Source> sources = new LinkedHashMap<>();  // SHA-256 → where in staging to copy it from
    List<ChunkRef> stableChunks = new ArrayList<>(manifest.chunks().size());
    Manifest toWrite;
    try (ChunkGuard.Lease lease = stable.guard().open()) {
      try (ChunkWriter writer = stable.openWriter()) {
        List<ChunkRef> chunks = manifest.chunks();
        int stagedEntries = 0;  // the size of this checkpoint's table of names, allocated once
        for (ChunkRef ref : chunks) {
          if (ref.staged()) {
            stagedEntries++;
          }
        }
        for (int index = 0; index < chunks.size(); index++) {
          ChunkRef ref = chunks.get(index);
          if (ref.isZero()) {
            stableChunks.add(ref);
            continue;
          }
          // Where staging keeps the copy the key names now, looked up before it is read: a name learnt from this
          // very copy is its SHA-256 still; one learnt from another copy (collected and stored again since, maybe
          // other bytes of the same fingerprint) is not used.
          ChunkLocation where = ref.staged() ? staging.locate(ref.hash()).orElse(null) : null;
          String name = !ref.staged() ? ref.hash() : names == null ? null : names.get(ref.hash(), where);
          if (name == null) {
            // learnt from this copy's bytes when the VM's last checkpoint was flushed
            name = before == null ? null : before.get(ref.hash(), where);
            if (name != null) {
              lease.hold(name);
              if (!writer.has(name)) {
                name = null;  // the stable store lost it since: read, check and hash the staged chunk anew
              }
            }
            if (name == null) {
              Verified chunk = verified(key, index, ref, hasher);
              name = chunk.sha256();
              lease.hold(name);
              if (!writer.has(name)) {
                budget.acquire(chunk.encoded().length);
                writer.put(name, chunk.encoded());
              }
            }
            if (names == null) {
              names = new LearntNames(LearntNames.prefixOf(ref.hash()), stagedEntries);
            }
            names.put(ref.hash(), name, where);
          } else if (!ref.staged()) {
            lease.hold(name);
            if (!writer.has(name)) {
              Verified chunk = verified(key, index, ref, hasher);
              budget.acquire(chunk.encoded().length);
              writer.put(name, chunk.encoded());
            }
          }
          stableChunks.add(ref.staged() ? new ChunkRef(name, ref.length(), ref.fingerprint()) : ref);
          sources.putIfAbsent(name, new Source(index, ref));
        }
        writer.commit();
      }
      toWrite = new Manifest(manifest.format(), manifest.vmId(), manifest.checkpointId(), manifest.createdAtMillis(),
          manifest.imageBytes(), manifest.chunker(), manifest.attributes(), stableChunks);
      // Staging keys never leave the staging store. A DirectoryStore shared by other hosts refuses such a manifest
      // itself; another kind of stable store (an object store) need not.
      if (toWrite.hasStagedChunks()) {
        throw new IOException("cannot flush " + key + ": its stable manifest would name chunks by staging key, which"
            + " must never leave " + staging.describe() + "; no manifest was written to " + stable.describe());
      }
      storeAgainWhatVanished(toWrite, sources, hasher);
      stable.putManifest(toWrite);
    }
    remember(key.vmId(), names);
    listeners.forEach(l -> l.stateChanged(key, CheckpointState.STABLE));
  }

  /** Keeps the names learnt for a VM's checkpoint just flushed, in place of those of its checkpoint before. */
  private void remember(String vmId, LearntNames names) {
    synchronized (learnt) {
      learnt.remove(vmId);
      if (names == null) {
        return;
      }
      learnt.put(vmId, names);
      long total = 0;
      for (LearntNames each : learnt.values()) {
        total += each.allocated();
      }
      var eldest = learnt.entrySet().iterator();
      while (total > maxLearnt && eldest.hasNext()) {
        total -= eldest.next().getValue().allocated();
        eldest.remove();
      }
    }
  }

  /** Sets the cap on learnt entries below {@link #MAX_LEARNT}, for tests. */
  LazyFlusher maxLearnt(int entries) {
    synchronized (learnt) {
      maxLearnt = entries;
    }
    return this;
  }

  /** Entries allocated for learnt names over all VMs: what the cap bounds. */
  long learntEntries() {
    synchronized (learnt) {
      return learnt.values().stream().mapToLong(LearntNames::allocated).sum();
    }
  }

  /** Where a chunk of the stable manifest comes from: its entry in the staged manifest, and that entry's number. */
  private record Source(int index, ChunkRef staged) {}

  /** A staged chunk's stored (encoded) bytes, checked, and the SHA-256 of its content. */
  private record Verified(byte[] encoded, String sha256) {}

  /**
   * Reads a chunk from staging and checks it (a chunk that rotted on the host is not spread): one named by SHA-256
   * against its name, one named by staging key against its fingerprint, and then SHA-256-hashed to name it on
   * stable storage.
   *
   * @throws IOException naming the checkpoint and the chunk when it is missing or does not verify; nothing of this
   *     flush is then committed, and the staged checkpoint is left as it is
   */
  private Verified verified(CheckpointKey key, int index, ChunkRef ref, ChunkHasher hasher) throws IOException {
    try {
      byte[] encoded = staging.readChunk(ref.hash());
      if (!ref.staged()) {
        ChunkCodec.decode(encoded, ref.hash(), ref.length(), hasher);  // throws if it rotted on the host
        return new Verified(encoded, ref.hash());
      }
      byte[] raw = ChunkCodec.decodeLength(encoded, ref.hash(), ref.length());
      long[] fingerprint = new long[2];
      fingerprinter.fingerprint(raw, 0, raw.length, fingerprint);
      String actual = HexFormat.of().toHexDigits(fingerprint[0]) + HexFormat.of().toHexDigits(fingerprint[1]);
      if (!actual.equals(ref.fingerprint())) {
        throw new CorruptChunkException(ref.hash(), "content has fingerprint " + actual + ", its staging key names "
            + ref.fingerprint());
      }
      return new Verified(encoded, hasher.hash(raw, 0, raw.length));
    } catch (CorruptChunkException | MissingChunkException e) {
      throw new IOException("cannot flush " + key + ": chunk #" + index + " (" + ref.hash() + ") in "
          + staging.describe() + " does not verify: " + e.getMessage() + "; nothing of it was written to "
          + stable.describe() + ", and the flush will be retried", e);
    }
  }

  /**
   * Makes sure the stable store still holds every chunk the manifest names, storing again (from staging) those it
   * no longer does, just before the manifest is written.
   *
   * <p>Why: the chunks the flush skipped because the stable store had them may sit in packs no manifest named, which
   * another host's sweep (see {@code SharedStoreSweeper}) moves aside once they are older than its grace period. This
   * check sees such a pack gone, and the chunks are stored again. Between the last check and the manifest there are
   * only milliseconds, far below the grace: a pack moved aside within them is renamed back by the next sweep after
   * the grace, because this manifest, written by then, names it; and readers find its chunks among the fossils
   * meanwhile.
   */
  private void storeAgainWhatVanished(Manifest manifest, Map<String, Source> sources, ChunkHasher hasher)
      throws IOException, InterruptedException {
    for (int round = 0; ; round++) {
      Set<String> vanished = stable.notStored(sources.keySet());
      if (vanished.isEmpty()) {
        return;
      }
      if (round == STORE_AGAIN_ROUNDS) {
        throw new IOException("cannot flush " + manifest.key() + ": " + vanished.size() + " of its chunks vanished"
            + " from " + stable.describe() + " again after being stored again " + round + " times (is something"
            + " collecting it with too short a grace period?); the flush will be retried");
      }
      try (ChunkWriter writer = stable.openWriter()) {
        for (String hash : vanished) {
          Source source = sources.get(hash);
          Verified chunk = verified(manifest.key(), source.index(), source.staged(), hasher);
          if (!chunk.sha256().equals(hash)) {  // a staging key whose chunk was stored again since, other bytes
            throw new IOException("cannot flush " + manifest.key() + ": chunk #" + source.index() + " ("
                + source.staged().hash() + ") in " + staging.describe() + " now hashes to " + chunk.sha256()
                + ", not " + hash + "; the flush will be retried");
          }
          budget.acquire(chunk.encoded().length);
          writer.put(hash, chunk.encoded());
        }
        writer.commit();
      }
    }
  }

  @Override public void close() throws InterruptedException {
    closed = true;
    synchronized (queue) {
      queue.notifyAll();
    }
    // Let a flush under way finish: an interrupt inside its file I/O would fail a checkpoint already stable.
    worker.join(5000);
    if (worker.isAlive()) {
      worker.interrupt();
      worker.join(5000);
    }
  }
}
