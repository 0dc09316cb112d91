package org.vmqsc.lab.cluster;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.Assume;
import org.vmqsc.sim.events.EventLogOracle;
import org.vmqsc.sim.events.MergedEventLog;
import org.vmqsc.sim.events.Verdict;

/** What the cluster's system tests share: starting a cluster of real processes, reading and judging its events. */
final class ClusterRun {

  private ClusterRun() {}

  /**
   * The run's folder, {@code target/cluster-tests/<name>}: kept after the test (the processes' logs and event
   * files, the merged log) so a failure can be read; emptied when the test runs again.
   */
  static Path folder(String name) throws IOException {
    Path dir = Path.of("target", "cluster-tests", name).toAbsolutePath();
    Files.createDirectories(dir);
    return dir;
  }

  static void say(String line) {
    System.out.println(String.format("[%tT] %s", System.currentTimeMillis(), line));
    System.out.flush();
  }

  /**
   * A cluster in {@code dir}; skips (outside CI) where the manager's embedded MariaDB cannot run. On any failure
   * to start, every process it launched is gone already.
   */
  static LocalCluster start(Path dir, LocalCluster.Settings settings) throws IOException, InterruptedException {
    killChildrenAtExit();
    try {
      return LocalCluster.start(dir, settings, line -> say("  " + line));
    } catch (IOException e) {
      Path log = dir.resolve("logs").resolve("manager.log");
      String text = Files.exists(log) ? Files.readString(log) : "";
      boolean noDatabase = text.contains("the embedded MariaDB did not start");
      if (noDatabase && !"true".equals(System.getenv("CI"))) {
        Assume.assumeTrue("SKIPPED: the manager's embedded MariaDB cannot start here: see " + log, false);
      }
      throw e;
    }
  }

  private static boolean hooked;

  /** A test JVM that is itself stopped (a cancelled CI job) takes the cluster's processes with it. */
  private static synchronized void killChildrenAtExit() {
    if (hooked) return;
    hooked = true;
    Runtime.getRuntime().addShutdownHook(new Thread(() -> ProcessHandle.current().descendants()
        .filter(p -> p.info().commandLine().map(c -> c.contains("VmqscCommand") || c.contains("cluster-tests"))
            .orElse(false))
        .forEach(ProcessHandle::destroyForcibly), "vmqsc-cluster-tests-stop"));
  }

  /** Stops every process (SIGTERM, then SIGKILL after 10 s), never throwing: for finally blocks. */
  static void down(LocalCluster cluster) {
    if (cluster == null) return;
    try {
      cluster.down(Duration.ofSeconds(10));
    } catch (IOException | InterruptedException | RuntimeException e) {
      say("could not stop the cluster cleanly: " + e);
    }
  }

  /** A process's events, in file order; a last line cut short by SIGKILL is skipped. */
  static List<JsonObject> events(Path file) throws IOException {
    List<JsonObject> out = new ArrayList<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      try {
        out.add(JsonParser.parseString(line).getAsJsonObject());
      } catch (RuntimeException cut) {
        // the last line of a killed process
      }
    }
    return out;
  }

  static List<JsonObject> events(Path file, Predicate<JsonObject> which) throws IOException {
    return events(file).stream().filter(which).toList();
  }

  static boolean is(JsonObject e, String type) {
    return e.get("event").getAsString().equals(type);
  }

  static double t(JsonObject e) {
    return e.get("t").getAsDouble();
  }

  /** Merges every process's event file into {@code merged} and judges it. */
  static Verdict judge(LocalCluster cluster, Path merged) throws IOException {
    try (Writer w = Files.newBufferedWriter(merged, StandardCharsets.UTF_8)) {
      MergedEventLog.Summary s = MergedEventLog.write(cluster.eventFiles(), w);
      say("merged " + s.events() + " events from " + cluster.eventFiles().size() + " files into " + merged);
    }
    Verdict v = EventLogOracle.check(List.of(merged));
    say(v.summary().strip());
    return v;
  }

  /** The verdict's first violations, for an assertion message. */
  static String violations(Verdict v) {
    StringBuilder b = new StringBuilder(v.summary());
    v.violations().stream().limit(20).forEach(s -> b.append("  ").append(s).append('\n'));
    return b.toString();
  }

  /** Waits until {@code condition} holds, checking every 200 ms; false after {@code timeout}. */
  static boolean await(Duration timeout, Check condition) throws Exception {
    long end = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < end) {
      if (condition.holds()) return true;
      Thread.sleep(200);
    }
    return condition.holds();
  }

  interface Check {
    boolean holds() throws Exception;
  }
}
