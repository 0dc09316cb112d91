package org.vmqsc.agent.engine;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * Writes a restored image into a file, leaving zero runs as holes: a guest's memory is often half zero pages, and
 * writing them cost as much as everything else a restore does. Bytes are gathered in one direct buffer and written
 * in large pieces rather than chunk by chunk.
 */
final class SparseFileSink implements ImageSink, AutoCloseable {

  private static final int BATCH_BYTES = 1 << 20;

  private final RandomAccessFile file;
  private final FileChannel channel;
  private final ByteBuffer batch = ByteBuffer.allocateDirect(BATCH_BYTES);
  private long position;  // where the batch starts in the file

  SparseFileSink(Path path) throws IOException {
    this.file = new RandomAccessFile(path.toFile(), "rw");
    this.channel = file.getChannel();
  }

  @Override public void write(byte[] bytes, int offset, int length) throws IOException {
    while (length > 0) {
      if (!batch.hasRemaining()) {
        flush();
      }
      int n = Math.min(length, batch.remaining());
      batch.put(bytes, offset, n);
      offset += n;
      length -= n;
    }
  }

  @Override public void zeros(int length) throws IOException {
    flush();
    position += length;  // a hole: nothing written
  }

  private void flush() throws IOException {
    batch.flip();
    while (batch.hasRemaining()) {
      position += channel.write(batch, position);
    }
    batch.clear();
  }

  /** Writes what is gathered and gives the file its full length, which trailing holes do not. */
  void finish() throws IOException {
    flush();
    if (file.length() < position) {
      file.setLength(position);
    }
  }

  @Override public void close() throws IOException {
    file.close();
  }
}
