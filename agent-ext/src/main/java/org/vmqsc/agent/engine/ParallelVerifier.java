package org.vmqsc.agent.engine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.vmqsc.agent.store.CheckpointKey;
import org.vmqsc.agent.store.CheckpointStore;
import org.vmqsc.agent.store.ChunkCodec;
import org.vmqsc.agent.store.ChunkHasher;
import org.vmqsc.agent.store.ChunkReader;
import org.vmqsc.agent.store.ChunkRef;
import org.vmqsc.agent.store.CorruptChunkException;
import org.vmqsc.agent.store.MissingChunkException;

/**
 * Reads, decodes and SHA-256-checks a checkpoint's chunks on several threads, a batch of consecutive chunks per
 * task, and hands the batches back in image order: checking dominates a restore, and the guest waits for it. A
 * batch's bytes are handed out only once every chunk in it passed, so nothing unchecked is ever written; the first
 * bad chunk in image order is the one reported.
 *
 * <p>How a chunk is checked: from a store only this host writes ({@link CheckpointStore#writtenOnlyByThisHost}),
 * against the manifest's XXH3-128 fingerprint of the chunk, some five times cheaper than SHA-256, and by SHA-256
 * where that does not match (a manifest from before fingerprints, or a damaged chunk: it is refused only when its
 * SHA-256 does not match its name either); from any other store, by SHA-256. A chunk named by staging key (not yet
 * by SHA-256, in the host's staging store only) is checked against its fingerprint alone, and refused anywhere else. Why that is enough is in the
 * engine's README ("Verified restore").
 */
final class ParallelVerifier implements AutoCloseable {

  /** Raw bytes of the non-zero chunks of one batch, back to back in manifest order, from {@code bytes[0]}. */
  record Batch(int firstChunk, int endChunk, byte[] bytes) {}

  private static final int BATCH_BYTES = 1 << 20;

  private final CheckpointKey key;
  private final CheckpointStore source;
  private final List<ChunkRef> chunks;
  private final ExecutorService workers;
  private final int ahead;
  private final ArrayDeque<Future<Batch>> pending = new ArrayDeque<>();
  /** Batch buffers are reused: allocating one per batch cost the garbage collector more than the copies. */
  private final ArrayDeque<byte[]> free = new ArrayDeque<>();
  private final int bufferBytes;
  private final boolean byFingerprint;
  /** Each task takes one (a reader that keeps its packs open, a hasher) and puts it back when done. */
  private final ConcurrentLinkedDeque<Checker> idle = new ConcurrentLinkedDeque<>();
  private Batch handedOut;
  private int nextChunk;

  ParallelVerifier(CheckpointKey key, CheckpointStore source, List<ChunkRef> chunks, int threads) {
    this.key = key;
    this.source = source;
    this.chunks = chunks;
    this.ahead = threads + 1;  // one batch more than threads, so no thread waits for the writer to take one
    this.workers = Executors.newFixedThreadPool(threads, runnable -> {
      Thread thread = new Thread(runnable, "vmqsc-restore-verifier");
      thread.setDaemon(true);
      return thread;
    });
    int longest = chunks.stream().filter(ref -> !ref.isZero()).mapToInt(ChunkRef::length).max().orElse(0);
    this.bufferBytes = BATCH_BYTES + longest;
    this.byFingerprint = source.writtenOnlyByThisHost();
  }

  /** What one task needs to read and check chunks; reused by the next task instead of opened per batch. */
  private final class Checker implements AutoCloseable {
    final ChunkReader reader = source.openReader();
    final ChunkHasher hasher = new ChunkHasher();
    final Fingerprinter fingerprinter = Fingerprinter.xxh3();
    final long[] fingerprint = new long[2];

    /** Decodes a chunk into {@code out} and checks it; see the class comment. */
    void check(ChunkRef ref, byte[] out, int offset) throws IOException {
      if (ref.staged()) {
        // Named by staging key: no SHA-256 to check it against, only its fingerprint, which is enough only in a
        // store no other host writes (the manifest was checked to be this VM's key for that fingerprint).
        if (!byFingerprint) {
          throw new CorruptChunkException(ref.hash(), "is named by a staging key, which only the host's own"
              + " staging store may hold, not " + source.describe());
        }
        ChunkCodec.decodeLengthInto(reader.view(ref.hash()), ref.hash(), ref.length(), out, offset);
        fingerprinter.fingerprint(out, offset, ref.length(), fingerprint);
        if (!FingerprintIndex.hexNames(ref.fingerprint(), fingerprint[0], fingerprint[1])) {
          throw new CorruptChunkException(ref.hash(), "content does not match its fingerprint "
              + ref.fingerprint() + " (the chunk is named by staging key)");
        }
        return;
      }
      ByteBuffer stored = reader.view(ref.hash());
      if (byFingerprint && ref.fingerprint() != null && ChunkRef.isValidFingerprint(ref.fingerprint())) {
        ChunkCodec.decodeLengthInto(stored, ref.hash(), ref.length(), out, offset);
        fingerprinter.fingerprint(out, offset, ref.length(), fingerprint);
        if (FingerprintIndex.hexNames(ref.fingerprint(), fingerprint[0], fingerprint[1])) {
          return;
        }
      }
      ChunkCodec.decodeInto(stored, ref.hash(), ref.length(), out, offset, hasher);
    }

    @Override public void close() throws IOException {
      reader.close();
    }
  }

  /** The next batch in image order, checked; null after the last. The batch before is then no longer valid. */
  Batch next() throws IOException {
    if (handedOut != null) {
      free.push(handedOut.bytes());
      handedOut = null;
    }
    while (pending.size() < ahead && nextChunk < chunks.size()) {
      int first = nextChunk;
      long bytes = 0;
      do {
        ChunkRef ref = chunks.get(nextChunk++);
        bytes += ref.isZero() ? 0 : ref.length();
      } while (nextChunk < chunks.size() && bytes < BATCH_BYTES);
      int end = nextChunk;
      byte[] buffer = free.isEmpty() ? new byte[bufferBytes] : free.pop();
      pending.add(workers.submit(() -> verify(first, end, buffer)));
    }
    Future<Batch> head = pending.poll();
    if (head == null) {
      return null;
    }
    try {
      handedOut = head.get();
      return handedOut;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("restore of " + key + " interrupted", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  private Batch verify(int first, int end, byte[] bytes) throws IOException {
    Checker checker = idle.poll();
    if (checker == null) {
      checker = new Checker();
    }
    try {
      int at = 0;
      for (int index = first; index < end; index++) {
        ChunkRef ref = chunks.get(index);
        if (ref.isZero()) {
          continue;
        }
        try {
          checker.check(ref, bytes, at);
        } catch (MissingChunkException | CorruptChunkException e) {
          throw new RestoreRefusedException(key, ref.hash(),
              e.getMessage() + " (chunk #" + index + " at image offset " + imageOffset(index) + ")", e);
        }
        at += ref.length();
      }
    } finally {
      idle.push(checker);
    }
    return new Batch(first, end, bytes);
  }

  private long imageOffset(int index) {
    long offset = 0;
    for (int i = 0; i < index; i++) {
      offset += chunks.get(i).length();
    }
    return offset;
  }

  @Override public void close() throws IOException {
    pending.forEach(future -> future.cancel(true));
    workers.shutdownNow();
    try {
      workers.awaitTermination(10, TimeUnit.SECONDS);  // so that no task still reads through a reader closed here
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    IOException failed = null;
    for (Checker checker = idle.poll(); checker != null; checker = idle.poll()) {
      try {
        checker.close();
      } catch (IOException e) {
        failed = e;
      }
    }
    if (failed != null) {
      throw failed;
    }
  }
}
