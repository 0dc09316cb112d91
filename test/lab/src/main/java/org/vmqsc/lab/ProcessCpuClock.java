package org.vmqsc.lab;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.lang.management.ManagementFactory;

/**
 * The CPU time of this whole process, every thread's, in nanoseconds. The JVM's own figure
 * ({@code OperatingSystemMXBean.getProcessCpuTime}) moves in steps of the kernel's clock tick, 10 ms here: a twentieth
 * of a 0.2 s checkpoint. {@code clock_gettime(CLOCK_PROCESS_CPUTIME_ID)} counts to the nanosecond; where it cannot be
 * called the JVM's figure is used.
 */
final class ProcessCpuClock {

  private static final int CLOCK_PROCESS_CPUTIME_ID = 2;

  private interface LibC extends Library {
    /** {@code struct timespec} is two longs (seconds, nanoseconds) on 64-bit Linux. */
    int clock_gettime(int clock, long[] timespec);
  }

  private static final LibC LIBC = load();

  private ProcessCpuClock() {}

  private static LibC load() {
    try {
      LibC libc = Native.load("c", LibC.class);
      return libc.clock_gettime(CLOCK_PROCESS_CPUTIME_ID, new long[2]) == 0 ? libc : null;
    } catch (LinkageError | RuntimeException unavailable) {
      return null;
    }
  }

  /** How {@link #nanos} counts, for a benchmark's header: to the nanosecond, or in the kernel's clock ticks. */
  static String resolution() {
    return LIBC != null ? "to the nanosecond (clock_gettime)" : "in clock ticks (the JVM's figure)";
  }

  static long nanos() {
    if (LIBC != null) {
      long[] timespec = new long[2];
      if (LIBC.clock_gettime(CLOCK_PROCESS_CPUTIME_ID, timespec) == 0) {
        return timespec[0] * 1_000_000_000L + timespec[1];
      }
    }
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }
}
