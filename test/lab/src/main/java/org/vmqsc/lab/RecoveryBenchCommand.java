package org.vmqsc.lab;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.vmqsc.agent.store.SafeFiles;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.function.ToDoubleFunction;
import org.vmqsc.lab.cluster.Groups;
import org.vmqsc.lab.cluster.LocalCluster;
import org.vmqsc.lab.cluster.RecoveryTimes;
import org.vmqsc.server.api.ApiClient;
import org.vmqsc.sim.events.EventLogOracle;
import org.vmqsc.sim.events.MergedEventLog;
import org.vmqsc.sim.events.Verdict;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./vmqsc bench recovery}: the recovery time objective of the standalone cluster. A manager and
 * {@code --agents} agents run as processes with a group of {@code --vms} VMs; {@code --kills} times an agent that
 * runs VMs of the group is killed with SIGKILL, its recovery awaited, and the agent started again (same home, same
 * host) so that the cluster keeps its size. The times come from the processes' own event files at the end:
 * detection (kill to the manager's {@code host_failure}) and recovery ({@code host_failure} to the manager's
 * {@code recovery}); the merged log is checked by the event-log oracle.
 */
@Command(name = "recovery", mixinStandardHelpOptions = true,
    description = "Recovery time of the standalone cluster: repeated SIGKILLs of agents, detection and recovery"
        + " seconds per kill, p50/p99, the event-log oracle's verdict.")
public final class RecoveryBenchCommand implements Callable<Integer> {

  @Option(names = "--kills", description = "agents killed one after the other, 1..1000 (default: ${DEFAULT-VALUE})")
  int kills = 20;

  @Option(names = "--vms", description = "VMs in the group, 1..64 (default: ${DEFAULT-VALUE})")
  int vms = 8;

  @Option(names = "--memory-mib", description = "memory of each simulated guest, 1..4096 MiB (default:"
      + " ${DEFAULT-VALUE})")
  int memoryMib = 64;

  @Option(names = "--agents", description = "agent processes, 2..16 (default: ${DEFAULT-VALUE})")
  int agents = 3;

  @Option(names = "--lease-ms", description = "a host's lease (default: ${DEFAULT-VALUE})")
  long leaseMs = 3000;

  @Option(names = "--heartbeat-ms", description = "how often agents heartbeat (default: ${DEFAULT-VALUE})")
  long heartbeatMs = 1000;

  @Option(names = "--t0-ms", description = "the group's base period T0 (default: ${DEFAULT-VALUE})")
  long t0Ms = 2000;

  @Option(names = "--periods-between", description = "base periods between a recovery and the next kill, 1..100"
      + " (default: ${DEFAULT-VALUE})")
  int periodsBetween = 3;

  @Option(names = "--seed", description = "seed of the choice of victims (default: ${DEFAULT-VALUE})")
  long seed = 1;

  @Option(names = "--dir", description = "the cluster's folder, a new one (default: a new temporary folder)")
  Path dir;

  @Option(names = "--out", description = "write the per-kill figures here as CSV (and a chart next to it, .svg)")
  Path out;

  private static final Duration RECOVERY_LIMIT = Duration.ofSeconds(60);

  @Override public Integer call() throws Exception {
    if (kills < 1 || kills > 1000) throw new IllegalArgumentException("--kills must be 1..1000, got " + kills);
    if (vms < 1 || vms > 64) throw new IllegalArgumentException("--vms must be 1..64, got " + vms);
    if (t0Ms < 100 || t0Ms > 60_000) throw new IllegalArgumentException("--t0-ms must be 100..60000, got " + t0Ms);
    if (periodsBetween < 1 || periodsBetween > 100) {
      throw new IllegalArgumentException("--periods-between must be 1..100, got " + periodsBetween);
    }
    ClusterCommand.checkSettings(agents, 2, leaseMs, heartbeatMs, memoryMib);
    VmqscCommand.checkOutputFile("--out", out);
    VmqscCommand.checkOutputFolder("--dir", dir);
    if (dir != null && Files.isDirectory(dir)) {
      try (var entries = Files.list(dir)) {
        if (entries.findAny().isPresent()) throw new IllegalArgumentException("--dir must name a new or empty folder: " + dir);
      }
    }
    Path folder = dir != null ? dir : Files.createTempDirectory("vmqsc-bench-recovery-");

    System.out.printf(Locale.ROOT, "machine: %d cores, load average %.2f, Java %s%n",
        Runtime.getRuntime().availableProcessors(), ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
        System.getProperty("java.version"));
    System.out.printf(Locale.ROOT, "cluster: a manager and %d agents in %s; lease %d ms, heartbeat %d ms; group of %d"
        + " VMs, %d MiB each, T0 %d ms; %d kills, seed %d%n", agents, folder, leaseMs, heartbeatMs, vms, memoryMib,
        t0Ms, kills, seed);
    LocalCluster cluster = LocalCluster.start(folder, new LocalCluster.Settings(agents, leaseMs, heartbeatMs, 4,
        memoryMib), line -> System.out.println("  " + line));
    long start = System.nanoTime();
    try {
      ApiClient api = cluster.api();
      String group = Groups.create(api, "bench-recovery", t0Ms, vms);
      Groups.enable(api, group);
      System.out.println("  group enabled; VMs per host " + Groups.placement(api, group, cluster));
      // Before its first line (every VM's first checkpoint stable) a group cannot be recovered: kill after it.
      long lineDeadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (!Groups.group(api, group).has("lineindex")) {
        if (System.nanoTime() > lineDeadline) throw new IOException("the group had no recovery line after 120 s");
        Thread.sleep(200);
      }
      System.out.println("  the group has its first recovery line");
      Random random = new Random(seed);
      for (int k = 1; k <= kills; k++) {
        Thread.sleep(periodsBetween * t0Ms);
        Map<Integer, String> hostOf = Groups.hostsOf(api, group);
        List<String> candidates = new ArrayList<>();
        for (LocalCluster.Node a : new TreeMap<>(cluster.agents()).values()) {
          if (LocalCluster.alive(a) && hostOf.containsValue(a.hostUuid())) candidates.add(a.name());
        }
        if (candidates.isEmpty()) throw new IOException("kill " + k + ": no live agent runs VMs of the group");
        String victim = candidates.get(random.nextInt(candidates.size()));
        List<Integer> on = Groups.vmsOn(api, group, cluster.agent(victim).hostUuid());
        int before = Groups.recoveries(api, group).size();
        long killed = System.nanoTime();
        cluster.killAgent(victim);
        JsonObject r;
        try {
          r = Groups.awaitRecovery(api, group, before, RECOVERY_LIMIT, line -> { });
        } catch (IOException e) {
          throw new IOException("kill " + k + " (agent " + victim + "): " + e.getMessage(), e);
        }
        double seen = (System.nanoTime() - killed) / 1e9;
        String state = r.get("state").getAsString();
        if (!state.equals("SUCCEEDED")) {
          throw new IOException("kill " + k + " (agent " + victim + "): the recovery ended " + state
              + (r.has("outcome") ? ": " + r.get("outcome").getAsString() : "") + "; see " + folder.resolve("logs"));
        }
        cluster.restartAgent(victim, line -> { });
        Groups.awaitLease(api, victim, Duration.ofSeconds(30));
        System.out.printf(Locale.ROOT, "  kill %d/%d: agent %s (VMs %s) recovered %.1f s after the kill (seen by"
            + " polling), %d VMs rolled back, none behind line %s; %s restarted; %.0f s in all%n", k, kills, victim, on, seen,
            r.getAsJsonArray("rolledback").size(), r.get("lineindex"), victim, (System.nanoTime() - start) / 1e9);
      }
      cluster.quiesce();
      Thread.sleep(Math.max(3000, 2 * t0Ms));
      cluster.markDrained();
    } finally {
      cluster.down(Duration.ofSeconds(10));
    }

    Path merged = folder.resolve("events.jsonl");
    try (Writer w = Files.newBufferedWriter(merged, StandardCharsets.UTF_8)) {
      MergedEventLog.write(cluster.eventFiles(), w);
    }
    List<RecoveryTimes.Kill> times = RecoveryTimes.of(merged);
    System.out.println("per kill (from the processes' event files), seconds:");
    System.out.println("  kill  agent  detection  recovery  = plan  restores  rest     rto  restores  rolled back");
    int i = 0;
    for (RecoveryTimes.Kill t : times) {
      System.out.printf(Locale.ROOT, "  %4d  %-5s  %9.2f  %8.2f  %6.2f  %8.2f  %5.2f  %6.2f  %8d  %11d%n", ++i,
          t.process().replaceFirst("^agent ", ""), t.detection(), t.recovery(), t.toRestore(), t.restores(),
          t.afterRestores(), t.total(), t.restoreCount(), t.rolledBack());
    }
    if (out != null) {
      writeCsv(out, times);
      Path chart = out.resolveSibling(out.getFileName().toString().replaceFirst("\\.csv$", "") + ".svg");
      Files.writeString(chart, chart(times, leaseMs), StandardCharsets.UTF_8);
      System.out.println("figures: " + out + "   chart: " + chart);
    }
    Verdict verdict = EventLogOracle.check(List.of(merged));
    System.out.println("events: " + merged);
    System.out.println(verdict.summary().strip());
    if (times.size() != kills) {
      System.out.println("the event files hold " + times.size() + " kills of the " + kills + " made");
    }
    System.out.println(figure("detection s", times, RecoveryTimes.Kill::detection));
    System.out.println(figure("recovery s", times, RecoveryTimes.Kill::recovery));
    System.out.println(figure("  to the first restore s", times, RecoveryTimes.Kill::toRestore));
    System.out.println(figure("  restores s", times, RecoveryTimes.Kill::restores));
    System.out.println(figure("  after the last restore s", times, RecoveryTimes.Kill::afterRestores));
    System.out.println(figure("rto s", times, RecoveryTimes.Kill::total));
    System.out.printf(Locale.ROOT, "rto p99 s: %.2f%n", BenchFigures.percentile(values(times, RecoveryTimes.Kill::total), 99));
    if (dir == null) {
      // A temporary cluster keeps its events and logs; its stores and database (over a GiB) go.
      for (String bulky : List.of("stable", "agents", "manager")) SafeFiles.deleteTree(folder.resolve(bulky));
    }
    return verdict.ok() ? 0 : 1;
  }

  private static List<Double> values(List<RecoveryTimes.Kill> times, ToDoubleFunction<RecoveryTimes.Kill> f) {
    List<Double> out = new ArrayList<>();
    for (RecoveryTimes.Kill t : times) out.add(f.applyAsDouble(t));
    return out;
  }

  private static String figure(String name, List<RecoveryTimes.Kill> times, ToDoubleFunction<RecoveryTimes.Kill> f) {
    List<Double> v = values(times, f);
    return String.format(Locale.ROOT, "%-28s p50 %6.2f   p99 %6.2f   max %6.2f", name + ":",
        BenchFigures.percentile(v, 50), BenchFigures.percentile(v, 99), BenchFigures.percentile(v, 100));
  }

  private static void writeCsv(Path file, List<RecoveryTimes.Kill> times) throws IOException {
    StringBuilder b = new StringBuilder("kill,agent,host,killed_t,detection_s,recovery_s,rto_s,to_first_restore_s,"
        + "restores_s,after_last_restore_s,restores,rolled_back,replays,state\n");
    int i = 0;
    for (RecoveryTimes.Kill t : times) {
      b.append(String.format(Locale.ROOT, "%d,%s,%s,%.6f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%d,%d,%d,%s%n", ++i,
          t.process().replaceFirst("^agent ", ""), t.host(), t.killedAt(), t.detection(), t.recovery(), t.total(),
          t.toRestore(), t.restores(), t.afterRestores(), t.restoreCount(), t.rolledBack(), t.replays(), t.state()));
    }
    Files.writeString(file, b.toString(), StandardCharsets.UTF_8);
  }

  /** One stacked bar per kill: detection, then to the first restore, the restores, the rest; the lease dashed. */
  static String chart(List<RecoveryTimes.Kill> times, long leaseMs) {
    int w = 760, h = 360, left = 50, right = 150, top = 30, bottom = 40;
    double max = 1;
    for (RecoveryTimes.Kill t : times) if (!Double.isNaN(t.total())) max = Math.max(max, t.total());
    max = Math.ceil(max / 5) * 5;
    double plotH = h - top - bottom, slot = (double) (w - left - right) / Math.max(1, times.size());
    StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "<svg xmlns='http://www.w3.org/2000/svg' width='%d'"
        + " height='%d' font-family='sans-serif' font-size='11'>%n<rect width='100%%' height='100%%' fill='white'/>%n"
        + "<text x='%d' y='18' font-size='13'>Recovery time per SIGKILL of an agent (seconds)</text>%n", w, h, left));
    for (double y = 0; y <= max; y += max / 5) {
      double py = top + plotH - y / max * plotH;
      s.append(String.format(Locale.ROOT, "<line x1='%d' x2='%d' y1='%.1f' y2='%.1f' stroke='#ddd'/><text x='%d'"
          + " y='%.1f' text-anchor='end'>%.0f</text>%n", left, w - right, py, py, left - 4, py + 4, y));
    }
    String[] colors = {"#9e9e9e", "#f4a261", "#2a9d8f", "#264653"};
    String[] labels = {"detection", "to the first restore", "restores", "after the last restore"};
    for (int i = 0; i < times.size(); i++) {
      RecoveryTimes.Kill t = times.get(i);
      double[] parts = {t.detection(), t.toRestore(), t.restores(), t.afterRestores()};
      double base = 0;
      for (int p = 0; p < parts.length; p++) {
        double v = Double.isNaN(parts[p]) ? 0 : Math.max(0, parts[p]);
        double y0 = top + plotH - (base + v) / max * plotH;
        s.append(String.format(Locale.ROOT, "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='%s'/>%n",
            left + i * slot + slot * 0.15, y0, slot * 0.7, v / max * plotH, colors[p]));
        base += v;
      }
      s.append(String.format(Locale.ROOT, "<text x='%.1f' y='%d' text-anchor='middle'>%d</text>%n",
          left + (i + 0.5) * slot, h - bottom + 14, i + 1));
    }
    double ly = top + plotH - leaseMs / 1000.0 / max * plotH;
    s.append(String.format(Locale.ROOT, "<line x1='%d' x2='%d' y1='%.1f' y2='%.1f' stroke='#c00' stroke-dasharray='4 3'/>"
        + "<text x='%d' y='%.1f' fill='#c00'>lease</text>%n", left, w - right, ly, ly, w - right + 4, ly + 4));
    for (int p = 0; p < labels.length; p++) {
      s.append(String.format(Locale.ROOT, "<rect x='%d' y='%d' width='12' height='12' fill='%s'/><text x='%d' y='%d'>%s"
          + "</text>%n", w - right + 4, top + 30 + p * 20, colors[p], w - right + 20, top + 40 + p * 20, labels[p]));
    }
    s.append(String.format(Locale.ROOT, "<text x='%d' y='%d'>kill</text>%n</svg>%n", (w - right + left) / 2, h - 8));
    return s.toString();
  }
}
