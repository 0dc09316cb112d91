package org.vmqsc.agent.driver;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;

/**
 * A memory image in a file, read through a read-only mapping: each read copies the bytes out of the page cache once,
 * where a stream's read is the kernel's copy into a buffer of the JDK's and the JDK's copy into the caller's array.
 * An image that waits in a file (a snapshot libvirt wrote, an image queued behind another guest's) reaches its
 * consumer this way.
 *
 * <p>The file is mapped {@value #WINDOW_BYTES} bytes at a time (a mapping holds at most 2 GiB), and each window is
 * unmapped as soon as the next one is mapped or the stream is closed, so a file deleted after its checkpoint frees
 * its disk space then, not when the collector gets to the mapping. A file that became shorter than it was when opened
 * fails the next read with an {@link IOException}; one cut short during a read's copy itself faults (the JVM's
 * {@link InternalError}): the file must not shrink while it is read.
 */
public final class MappedImageFile extends InputStream {

  static final long WINDOW_BYTES = 256L << 20;

  private final FileChannel channel;
  private final Path file;
  private final long size;
  private final long windowBytes;
  private MappedByteBuffer window;
  private long windowStart;
  private long position;

  private MappedImageFile(FileChannel channel, Path file, long windowBytes) throws IOException {
    this.channel = channel;
    this.file = file;
    this.size = channel.size();
    this.windowBytes = windowBytes;
  }

  /** Opens {@code file}, whose length now is the image's. */
  public static InputStream open(Path file) throws IOException {
    return open(file, WINDOW_BYTES);
  }

  /** With windows of {@code windowBytes}: tests read a file through many. */
  static InputStream open(Path file, long windowBytes) throws IOException {
    FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
    try {
      return new MappedImageFile(channel, file, windowBytes);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  @Override public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
  }

  @Override public int read(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    if (len == 0) {
      return 0;
    }
    if (position >= size) {
      return -1;
    }
    if (window == null || position >= windowStart + window.capacity()) {
      mapWindowAt(position);
    }
    int n = (int) Math.min(len, windowStart + window.capacity() - position);
    // A mapped page past the file's end faults, and the JVM reports that as an InternalError at some later point of
    // this thread: the length is checked first (a system call per read, a microsecond against the copy's 20).
    long length = channel.size();
    if (length < position + n) {
      throw new IOException(file + " became shorter (" + length + " bytes) than the " + size
          + " it had when it was opened, while it was read");
    }
    window.get((int) (position - windowStart), b, off, n);
    position += n;
    return n;
  }

  private void mapWindowAt(long start) throws IOException {
    unmap();
    window = channel.map(FileChannel.MapMode.READ_ONLY, start, Math.min(windowBytes, size - start));
    windowStart = start;
  }

  /** The bytes left to read (at most {@link Integer#MAX_VALUE}): a consumer may size its work by it. */
  @Override public int available() {
    return (int) Math.min(Integer.MAX_VALUE, size - position);
  }

  @Override public long skip(long n) {
    long skipped = Math.max(0, Math.min(n, size - position));
    position += skipped;
    return skipped;
  }

  @Override public void close() throws IOException {
    unmap();
    channel.close();
  }

  private void unmap() {
    MappedByteBuffer mapped = window;
    window = null;
    if (mapped != null) {
      Unmapper.unmap(mapped);
    }
  }

  /**
   * Unmaps a mapping now ({@code sun.misc.Unsafe.invokeCleaner}, in the JDK's {@code jdk.unsupported} module), or,
   * where that is not at hand, leaves it to the garbage collector. Only for a mapping nothing else refers to: its
   * memory is gone afterwards.
   */
  private static final class Unmapper {
    private static final Object UNSAFE;
    private static final Method INVOKE_CLEANER;

    static {
      Object unsafe = null;
      Method invokeCleaner = null;
      try {
        Class<?> type = Class.forName("sun.misc.Unsafe");
        Field theUnsafe = type.getDeclaredField("theUnsafe");
        theUnsafe.setAccessible(true);
        unsafe = theUnsafe.get(null);
        invokeCleaner = type.getMethod("invokeCleaner", java.nio.ByteBuffer.class);
      } catch (ReflectiveOperationException | RuntimeException unavailable) {
        invokeCleaner = null;  // unmap() then leaves every mapping to the collector
      }
      UNSAFE = unsafe;
      INVOKE_CLEANER = invokeCleaner;
    }

    static void unmap(MappedByteBuffer mapped) {
      if (INVOKE_CLEANER == null) {
        return;
      }
      try {
        INVOKE_CLEANER.invoke(UNSAFE, mapped);
      } catch (ReflectiveOperationException | RuntimeException e) {
        // left to the garbage collector
      }
    }
  }
}
