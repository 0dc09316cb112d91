package org.vmqsc.agent.net;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * A TAP device of this process (Linux): every read gives one whole Ethernet frame the kernel sent out of the
 * device, every write puts one whole frame into it. Opened non-blocking without packet information
 * ({@code IFF_TAP | IFF_NO_PI}); the device is not persistent, so it disappears when it is closed or the process ends.
 * A TAP file descriptor cannot join a Java {@code Selector}: its reader waits in {@link #awaitReadable}.
 */
final class TapDevice implements AutoCloseable {

  private interface LibC extends Library {
    LibC INSTANCE = Native.load("c", LibC.class);

    int open(String path, int flags) throws LastErrorException;

    int ioctl(int fd, long request, Memory arg) throws LastErrorException;

    long read(int fd, byte[] buffer, long count) throws LastErrorException;

    long write(int fd, byte[] buffer, long count) throws LastErrorException;

    int poll(Memory fds, long count, int timeoutMillis) throws LastErrorException;

    int close(int fd) throws LastErrorException;
  }

  private static final int O_RDWR = 2, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000;
  private static final long TUNSETIFF = 0x400454caL;
  private static final short IFF_TAP = 0x0002, IFF_NO_PI = 0x1000;
  private static final int IFNAMSIZ = 16, IFREQ_BYTES = 40;
  private static final short POLLIN = 0x1;
  private static final int EAGAIN = 11, EINTR = 4;

  private final int fd;
  private final String name;
  private volatile boolean closed;

  private TapDevice(int fd, String name) {
    this.fd = fd;
    this.name = name;
  }

  /** Opens a new TAP device named after {@code pattern} (at most 15 bytes; {@code %d} lets the kernel number it). */
  static TapDevice open(String pattern) throws IOException {
    if (pattern.getBytes(StandardCharsets.US_ASCII).length >= IFNAMSIZ) {
      throw new IllegalArgumentException("a network device's name has at most 15 characters: " + pattern);
    }
    int fd;
    try {
      fd = LibC.INSTANCE.open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    } catch (LastErrorException e) {
      throw new IOException("opening /dev/net/tun: errno " + e.getErrorCode()
          + (e.getErrorCode() == 13 || e.getErrorCode() == 1 ? " (the agent needs CAP_NET_ADMIN)" : ""));
    }
    try (Memory ifreq = new Memory(IFREQ_BYTES)) {
      ifreq.clear();
      byte[] requested = pattern.getBytes(StandardCharsets.US_ASCII);
      ifreq.write(0, requested, 0, requested.length);
      ifreq.setShort(IFNAMSIZ, (short) (IFF_TAP | IFF_NO_PI));
      LibC.INSTANCE.ioctl(fd, TUNSETIFF, ifreq);
      return new TapDevice(fd, ifreq.getString(0, StandardCharsets.US_ASCII.name()));
    } catch (LastErrorException e) {
      LibC.INSTANCE.close(fd);
      throw new IOException("making TAP device " + pattern + ": errno " + e.getErrorCode());
    }
  }

  /** The device's name (as {@code ip link} shows it). */
  String name() {
    return name;
  }

  /**
   * Reads one frame into {@code buffer}; returns its length, or -1 when the device holds no frame now. A frame longer
   * than the buffer is cut to its length (the caller sees a full buffer and can tell).
   */
  int read(byte[] buffer) throws IOException {
    while (true) {
      try {
        return (int) LibC.INSTANCE.read(fd, buffer, buffer.length);
      } catch (LastErrorException e) {
        if (e.getErrorCode() == EAGAIN) return -1;
        if (e.getErrorCode() == EINTR) continue;
        throw new IOException("reading TAP device " + name + ": errno " + e.getErrorCode());
      }
    }
  }

  /** Writes one whole frame into the device (the kernel receives it as from a wire). */
  void write(byte[] frame) throws IOException {
    try {
      long written = LibC.INSTANCE.write(fd, frame, frame.length);
      if (written != frame.length) {
        throw new IOException("TAP device " + name + " took " + written + " of a " + frame.length + "-byte frame");
      }
    } catch (LastErrorException e) {
      throw new IOException("writing TAP device " + name + ": errno " + e.getErrorCode());
    }
  }

  /** Waits at most {@code timeoutMillis} for a frame to read; returns whether one is there. */
  boolean awaitReadable(int timeoutMillis) throws IOException {
    if (closed) return false;
    try (Memory pollfd = new Memory(8)) {
      pollfd.setInt(0, fd);
      pollfd.setShort(4, POLLIN);
      pollfd.setShort(6, (short) 0);
      int ready = LibC.INSTANCE.poll(pollfd, 1, timeoutMillis);
      return ready > 0 && (pollfd.getShort(6) & POLLIN) != 0;
    } catch (LastErrorException e) {
      if (e.getErrorCode() == EINTR) return false;
      throw new IOException("waiting on TAP device " + name + ": errno " + e.getErrorCode());
    }
  }

  /** Closes the device; the kernel removes it (and takes it off its bridge). Only once no reader waits on it. */
  @Override public void close() {
    if (closed) return;
    closed = true;
    try {
      LibC.INSTANCE.close(fd);
    } catch (LastErrorException e) {
      // nothing more to do with a descriptor that will not close
    }
  }
}
