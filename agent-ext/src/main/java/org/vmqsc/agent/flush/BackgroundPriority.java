package org.vmqsc.agent.flush;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.util.concurrent.ThreadFactory;

/**
 * Storing, flushing and collecting checkpoints is background work: its threads run at a lower CPU priority (nice
 * {@value #NICE}) than the guests and their hypervisor's threads. On a busy host the guests come first, and so does
 * QEMU's own work while a guest stands still for its cut; the background work takes what they leave (it has a
 * checkpoint period to finish in). Linux only; elsewhere, or where the call fails, a thread keeps its priority.
 */
public final class BackgroundPriority {

  /** Linux's nice value of background threads: about a tenth of the CPU share of a nice-0 thread it competes with. */
  public static final int NICE = 10;
  private static final int PRIO_PROCESS = 0;

  private BackgroundPriority() {}

  /** Lowers the calling thread's priority (only this thread's, and the threads it starts from now on); whether it could. */
  public static boolean lowerCurrentThread() {
    LibC libc = LibC.instance();
    if (libc == null) return false;
    try {
      int tid = libc.gettid();
      if (libc.getpriority(PRIO_PROCESS, tid) >= NICE) return true;  // already as low: never raise it
      return libc.setpriority(PRIO_PROCESS, tid, NICE) == 0;
    } catch (LinkageError | RuntimeException e) {
      return false;
    }
  }

  /** The calling thread's nice value, or null where it cannot be read. */
  public static Integer currentNice() {
    LibC libc = LibC.instance();
    if (libc == null) return null;
    try {
      return libc.getpriority(PRIO_PROCESS, libc.gettid());  // -1 is also a valid value: no error check needed here
    } catch (LinkageError | RuntimeException e) {
      return null;
    }
  }

  /** Daemon threads named {@code name} that lower their own priority before they run anything. */
  public static ThreadFactory threads(String name) {
    return task -> {
      Thread t = new Thread(() -> {
        lowerCurrentThread();
        task.run();
      }, name);
      t.setDaemon(true);
      return t;
    };
  }

  private interface LibC extends Library {
    int gettid();

    int setpriority(int which, int who, int prio);

    int getpriority(int which, int who);

    static LibC instance() {
      return Holder.LIBC;
    }
  }

  /** Loaded once, on first use; null off Linux. */
  private static final class Holder {
    static final LibC LIBC = load();

    private static LibC load() {
      if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) return null;
      try {
        return Native.load("c", LibC.class);
      } catch (LinkageError | RuntimeException e) {
        return null;
      }
    }
  }
}
