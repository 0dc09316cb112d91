package org.vmqsc.agent.engine;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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
    ChunkHasher hasher = new ChunkHasher();
    int at = 0;
    try (ChunkReader reader = source.openReader()) {
      for (int index = first; index < end; index++) {
        ChunkRef ref = chunks.get(index);
        if (ref.isZero()) {
          continue;
        }
        try {
          ChunkCodec.decodeInto(reader.read(ref.hash()), ref.hash(), ref.length(), bytes, at, hasher);
        } catch (MissingChunkException | CorruptChunkException e) {
          throw new RestoreRefusedException(key, ref.hash(),
              e.getMessage() + " (chunk #" + index + " at image offset " + imageOffset(index) + ")", e);
        }
        at += ref.length();
      }
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

  @Override public void close() {
    pending.forEach(future -> future.cancel(true));
    workers.shutdownNow();
  }
}
