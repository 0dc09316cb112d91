package org.vmqsc.agent.kvm;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.FileInputStream;
import java.io.IOException;
import java.nio.channels.ReadableByteChannel;

/**
 * A pipe of the kernel's: QEMU gets its write end ({@code getfd} through libvirt) and the agent reads the other, so
 * that QEMU's migration stream reaches the engine without a file where the guest has no monitor of the agent's own
 * (CloudStack's domains). Java cannot make a pipe whose write end can be handed on, hence the C library.
 */
final class KernelPipe {

  private final ReadableByteChannel readEnd;
  private int writeFd;

  private KernelPipe(ReadableByteChannel readEnd, int writeFd) {
    this.readEnd = readEnd;
    this.writeFd = writeFd;
  }

  static KernelPipe open() throws IOException {
    int[] fds = new int[2];
    try {
      LibC.INSTANCE.pipe2(fds, O_CLOEXEC);
    } catch (LastErrorException e) {
      throw new IOException("cannot make a pipe for QEMU's memory stream: " + e.getMessage(), e);
    }
    try {
      try {
        LibC.INSTANCE.fcntl(fds[1], F_SETPIPE_SZ, 1 << 20);  // fewer wake-ups; the kernel's 64 KiB where refused
      } catch (LastErrorException refused) {
        // pipe-max-size is lower here: the default buffer works, in smaller steps
      }
      // The read end as a Java channel: opening the descriptor's /proc entry opens the same pipe again.
      @SuppressWarnings("resource")
      ReadableByteChannel readEnd = new FileInputStream("/proc/self/fd/" + fds[0]).getChannel();
      return new KernelPipe(readEnd, fds[1]);
    } catch (IOException | RuntimeException e) {
      LibC.INSTANCE.close(fds[1]);
      throw e;
    } finally {
      LibC.INSTANCE.close(fds[0]);
    }
  }

  ReadableByteChannel readEnd() {
    return readEnd;
  }

  int writeFd() {
    return writeFd;
  }

  /** Closes the agent's copy of the write end, once QEMU holds its own: QEMU's close then ends the stream. */
  void closeWriteEnd() {
    if (writeFd >= 0) LibC.INSTANCE.close(writeFd);
    writeFd = -1;
  }

  private static final int O_CLOEXEC = 02000000;
  private static final int F_SETPIPE_SZ = 1031;

  private interface LibC extends Library {
    LibC INSTANCE = Native.load("c", LibC.class);

    int pipe2(int[] fds, int flags) throws LastErrorException;

    int fcntl(int fd, int cmd, int arg) throws LastErrorException;

    int close(int fd);
  }
}
