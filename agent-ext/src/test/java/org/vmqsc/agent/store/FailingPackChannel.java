package org.vmqsc.agent.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/**
 * A pack channel whose writes or fsyncs fail on demand, as on a full disk or a failing device: for what a writer
 * does then, without root to fill a real file system.
 */
final class FailingPackChannel extends FileChannel {

  /** Set to make every write fail with this message ("No space left on device": a full disk). */
  static volatile String failWrites;
  /** Set to make every fsync fail with this message. */
  static volatile String failForce;

  private final FileChannel real;

  FailingPackChannel(FileChannel real) {
    this.real = real;
  }

  static void reset() {
    failWrites = null;
    failForce = null;
  }

  private static void maybeFailWrite() throws IOException {
    String message = failWrites;
    if (message != null) {
      throw new IOException(message);
    }
  }

  @Override public int write(ByteBuffer src, long position) throws IOException {
    maybeFailWrite();
    return real.write(src, position);
  }

  @Override public int write(ByteBuffer src) throws IOException {
    maybeFailWrite();
    return real.write(src);
  }

  @Override public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
    maybeFailWrite();
    return real.write(srcs, offset, length);
  }

  @Override public void force(boolean metaData) throws IOException {
    String message = failForce;
    if (message != null) {
      throw new IOException(message);
    }
    real.force(metaData);
  }

  @Override public int read(ByteBuffer dst) throws IOException {
    return real.read(dst);
  }

  @Override public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
    return real.read(dsts, offset, length);
  }

  @Override public int read(ByteBuffer dst, long position) throws IOException {
    return real.read(dst, position);
  }

  @Override public long position() throws IOException {
    return real.position();
  }

  @Override public FileChannel position(long newPosition) throws IOException {
    real.position(newPosition);
    return this;
  }

  @Override public long size() throws IOException {
    return real.size();
  }

  @Override public FileChannel truncate(long size) throws IOException {
    real.truncate(size);
    return this;
  }

  @Override public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
    return real.transferTo(position, count, target);
  }

  @Override public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
    return real.transferFrom(src, position, count);
  }

  @Override public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
    return real.map(mode, position, size);
  }

  @Override public FileLock lock(long position, long size, boolean shared) throws IOException {
    return real.lock(position, size, shared);
  }

  @Override public FileLock tryLock(long position, long size, boolean shared) throws IOException {
    return real.tryLock(position, size, shared);
  }

  @Override protected void implCloseChannel() throws IOException {
    real.close();
  }
}
