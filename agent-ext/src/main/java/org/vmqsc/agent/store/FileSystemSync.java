package org.vmqsc.agent.store;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Makes everything written to one file system durable with a single Linux {@code syncfs(2)}: a checkpoint writes
 * thousands of chunk files, and one fsync each would cost more than hashing and compressing them. The JDK has no
 * syncfs, so it is called through JNA (a dependency anyway, for libvirt).
 */
final class FileSystemSync {

  private interface LibC extends Library {
    int open(String path, int flags);

    int syncfs(int fd);

    int close(int fd);
  }

  private static final int O_RDONLY = 0;
  private static final LibC LIBC = load();

  private FileSystemSync() {}

  private static LibC load() {
    try {
      return Native.load("c", LibC.class);
    } catch (LinkageError | RuntimeException unavailable) {
      return null;
    }
  }

  /** True when syncfs can be used; otherwise callers fsync file by file. */
  static boolean available() {
    return LIBC != null;
  }

  static void sync(Path anyPathOnTheFileSystem) throws IOException {
    int fd = LIBC.open(anyPathOnTheFileSystem.toString(), O_RDONLY);
    if (fd < 0) {
      throw new IOException("cannot open " + anyPathOnTheFileSystem + " to sync its file system (errno "
          + Native.getLastError() + ")");
    }
    try {
      if (LIBC.syncfs(fd) != 0) {
        throw new IOException("syncfs of " + anyPathOnTheFileSystem + " failed (errno " + Native.getLastError() + ")");
      }
    } finally {
      LIBC.close(fd);
    }
  }
}
