package org.vmqsc.agent.kvm;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.ArrayDeque;

/**
 * A memory image on its way from QEMU's migration stream to the engine, held in memory: a bounded queue of
 * chunks between the thread that reads QEMU's socket and the one that stores the image, so the engine stores a
 * checkpoint while QEMU still writes it, and no image ever waits in a file.
 *
 * <p>Three parties end it. The reader says where QEMU's stream ended ({@link #dataEnded}, {@link #dataFailed}); the
 * driver says whether the snapshot as a whole succeeded ({@link #succeed}, {@link #fail}); the image's end reaches
 * the engine only after both, so a checkpoint whose snapshot failed late (QEMU's migration failed, a disk's copy
 * did not finish) is never stored as complete. Once the engine gives up (closes its stream) or the snapshot fails,
 * the reader drops what it reads: a background snapshot must run to its end (see {@link MigrationSink}).
 *
 * <p>The queue is bounded ({@link #CAPACITY_CHUNKS} chunks of {@link #CHUNK_BYTES}): when the engine falls that far
 * behind, QEMU's writes wait, and with them a guest write to a page QEMU has not saved yet. The arrays are let go as
 * soon as the image is read or given up, not when the pipe becomes garbage: a consumer may hold the pipe for long
 * after (waiting for an engine that stores another image), and an agent runs several guests' snapshots at once.
 */
final class ImagePipe {

  static final int CHUNK_BYTES = 1 << 20;
  static final int CAPACITY_CHUNKS = 16;

  /** @param pooled whether its array goes back to the spares once read (the header's does not) */
  private record Chunk(byte[] bytes, int length, boolean pooled) {}

  private final ArrayDeque<Chunk> full = new ArrayDeque<>();
  private final ArrayDeque<byte[]> spare = new ArrayDeque<>();
  private int allocated;
  private boolean dataEnded;
  private IOException dataFailure;
  private boolean succeeded;
  private IOException failure;
  private boolean dropping;
  private long received;

  /** A pipe whose image starts with {@code header} (the save image's header, QEMU's stream after it). */
  ImagePipe(byte[] header) {
    full.add(new Chunk(header, header.length, false));
  }

  // ---- the reader of QEMU's socket

  /**
   * Reads {@code in} to its end into the pipe, waiting while the queue is full; drops what it reads once nobody
   * will take it. Returns the bytes read; a failed read is kept for the engine and thrown.
   */
  long readFrom(ReadableByteChannel in) throws IOException {
    try {
      while (true) {
        byte[] chunk = emptyChunk();
        ByteBuffer buffer = ByteBuffer.wrap(chunk);
        int n;
        do {  // a full chunk: fewer hand-overs, and the engine reads in blocks of megabytes anyway
          n = in.read(buffer);
        } while (n >= 0 && buffer.hasRemaining());
        if (buffer.position() > 0) put(chunk, buffer.position());
        else giveBack(chunk);
        if (n < 0) break;
      }
    } catch (IOException e) {
      dataFailed(e);
      throw e;
    }
    dataEnded();
    return receivedBytes();
  }

  private synchronized byte[] emptyChunk() throws IOException {
    while (true) {
      if (dropping) return spare.isEmpty() ? new byte[CHUNK_BYTES] : spare.poll();
      if (!spare.isEmpty()) return spare.poll();
      if (allocated < CAPACITY_CHUNKS) {
        allocated++;
        return new byte[CHUNK_BYTES];
      }
      await("QEMU's memory stream waited for room");
    }
  }

  private synchronized void put(byte[] chunk, int length) {
    received += length;
    if (dropping) {
      spare.add(chunk);
      return;
    }
    full.add(new Chunk(chunk, length, true));
    notifyAll();
  }

  private synchronized void giveBack(byte[] chunk) {
    spare.add(chunk);
    notifyAll();
  }

  private synchronized void dataEnded() {
    dataEnded = true;
    notifyAll();
  }

  private synchronized void dataFailed(IOException e) {
    dataFailure = e;
    notifyAll();
  }

  /** Whether QEMU's side waits for room (the queue holds all it may). */
  synchronized boolean full() {
    return !dropping && allocated == CAPACITY_CHUNKS && spare.isEmpty();
  }

  /** The bytes of the pipe's own arrays it still holds, queued or spare. */
  synchronized long heldArrayBytes() {
    return (long) (spare.size() + full.stream().filter(Chunk::pooled).count()) * CHUNK_BYTES;
  }

  /** The bytes of QEMU's stream read so far (the header not counted). */
  synchronized long receivedBytes() {
    return received;
  }

  // ---- the driver's verdict on the snapshot

  /** The snapshot succeeded: the engine reads the image to its end. */
  synchronized void succeed() {
    if (failure == null) succeeded = true;
    notifyAll();
  }

  /** The snapshot failed: the engine's next read fails with {@code cause}; what QEMU still sends is dropped. */
  synchronized void fail(IOException cause) {
    if (!succeeded && failure == null) failure = cause;
    drop();
  }

  private void drop() {
    dropping = true;
    full.clear();
    spare.clear();  // the reader drops into one array of its own from now on; the rest are garbage
    notifyAll();
  }

  // ---- the engine's side

  /** The image, for one reader; closing it before its end drops the rest. */
  InputStream stream() {
    return new InputStream() {
      private Chunk current;
      private int position;

      @Override public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
      }

      @Override public int read(byte[] b, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) return 0;
        if (current == null || position == current.length()) {
          if (current != null) release(current);
          current = next();
          position = 0;
          if (current == null) return -1;
        }
        int n = Math.min(len, current.length() - position);
        System.arraycopy(current.bytes(), position, b, off, n);
        position += n;
        return n;
      }

      @Override public void close() {
        current = null;
        synchronized (ImagePipe.this) {
          if (!(succeeded && dataEnded && full.isEmpty())) drop();
        }
      }
    };
  }

  /** The next chunk of the image; null at its end, once the driver said the snapshot succeeded. */
  private synchronized Chunk next() throws IOException {
    while (true) {
      if (failure != null) throw new IOException("the snapshot failed: " + failure.getMessage(), failure);
      if (dropping) throw new IOException("the image was given up");
      if (!full.isEmpty()) return full.poll();
      if (dataFailure != null) {
        throw new IOException("reading QEMU's memory stream failed: " + dataFailure.getMessage(), dataFailure);
      }
      if (dataEnded && succeeded) {
        spare.clear();  // the image is read: its arrays need not wait for the pipe to become garbage
        return null;
      }
      await("the engine waited for QEMU's memory stream");
    }
  }

  private synchronized void release(Chunk chunk) {
    if (chunk.pooled() && !dropping) {
      spare.add(chunk.bytes());
      notifyAll();
    }
  }

  private void await(String what) throws IOException {
    try {
      wait();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted: " + what);
    }
  }
}
