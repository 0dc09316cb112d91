package org.vmqsc.agent.engine;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether the host has a core that nothing runs on right now, besides the calling thread's: Linux counts the tasks
 * runnable at this moment in {@code /proc/loadavg} (the calling thread among them); elsewhere the one-minute load
 * average stands in. A checkpoint's second thread takes only a core no guest is using.
 */
final class IdleCores {

  private static final Path LOADAVG = Path.of("/proc/loadavg");

  private IdleCores() {}

  static boolean oneBesidesMine() {
    int cores = Runtime.getRuntime().availableProcessors();
    if (cores < 2) {
      return false;
    }
    Integer runnable = runnableNow();
    if (runnable != null) {
      return runnable + 1 <= cores;  // these tasks and one more thread, each on a core of its own
    }
    double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    return load >= 0 && load + 1 <= cores - 1;
  }

  /** The tasks runnable now, the caller included, or null where the system does not say. */
  static Integer runnableNow() {
    try {
      return parseRunnable(Files.readString(LOADAVG));
    } catch (IOException | RuntimeException unreadable) {
      return null;
    }
  }

  /** The fourth field of a {@code /proc/loadavg} line, "runnable/total": the runnable part, or null. */
  static Integer parseRunnable(String loadavg) {
    String[] fields = loadavg.trim().split("\\s+");
    if (fields.length < 4) {
      return null;
    }
    int slash = fields[3].indexOf('/');
    if (slash <= 0) {
      return null;
    }
    try {
      int runnable = Integer.parseInt(fields[3].substring(0, slash));
      return runnable >= 1 ? runnable : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
