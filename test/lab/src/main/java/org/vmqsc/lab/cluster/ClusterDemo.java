package org.vmqsc.lab.cluster;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.vmqsc.server.api.ApiClient;
import org.vmqsc.sim.events.EventLogOracle;
import org.vmqsc.sim.events.MergedEventLog;
import org.vmqsc.sim.events.Verdict;

/**
 * The standalone demo as a person sees it: a manager and three agents as processes; a group of 8 VMs with
 * traffic; one agent killed with SIGKILL; the lease running out, the plan, the restores and replays, the group
 * running on; then every process's events merged into one file and checked by the event-log oracle, the recovery
 * time split into detection and recovery, and a timeline drawn.
 */
public final class ClusterDemo {

  /** What the run measured. */
  public record Outcome(Verdict verdict, double detectionSeconds, double recoverySeconds, Path merged, Path timeline) {}

  private final Path out;
  private final Consumer<String> say;
  private final long t0Ms;
  private final Duration before;
  private final Duration after;

  public ClusterDemo(Path out, Consumer<String> say, long t0Ms, Duration before, Duration after) {
    this.out = out;
    this.say = say;
    this.t0Ms = t0Ms;
    this.before = before;
    this.after = after;
  }

  public Outcome run() throws IOException, InterruptedException {
    long start = System.nanoTime();
    say.accept("[1/6] a manager and 3 agents, each its own process, on this machine");
    LocalCluster cluster = LocalCluster.start(out.resolve("cluster"),
        new LocalCluster.Settings(3, 3000, 1000, 4, 16), line -> say.accept("      " + line));
    try {
      ApiClient api = cluster.api();
      say.accept("[2/6] group 'demo': 8 VMs (4 SI, 4 MI_2), T0 " + t0Ms + " ms, each guest sending about 4 messages per"
          + " base period");
      String group = Groups.create(api, "demo", t0Ms, 8);
      Groups.enable(api, group);
      say.accept("      enabled: every VM booted with its first checkpoint; placement " + Groups.placement(api, group,
          cluster));
      say.accept("[3/6] running " + before.toSeconds() + " s, with one VM moved by live migration half way");
      watch(api, group, before.dividedBy(2));
      say.accept("      " + Groups.migrateOne(api, group, cluster));
      watch(api, group, before.dividedBy(2));
      String victim = Groups.busiestAgent(api, group, cluster);
      say.accept("[4/6] SIGKILL agent " + victim + " (VMs " + Groups.vmsOn(api, group, cluster.agent(victim).hostUuid())
          + ")");
      cluster.killAgent(victim);
      Groups.awaitRecovery(api, group, Duration.ofSeconds(90), say);
      say.accept("[5/6] running on " + after.toSeconds() + " s, then the guests stop sending and the last messages"
          + " arrive");
      watch(api, group, after);
      Groups.awaitNoRecoveryRunning(api, group, Duration.ofSeconds(90));
      cluster.quiesce();
      Thread.sleep(Math.max(3000, 2 * t0Ms));
      cluster.markDrained();
    } finally {
      cluster.down(Duration.ofSeconds(10));
    }
    say.accept("[6/6] every process stopped; merging their event files and checking the merged log");
    Path merged = out.resolve("events.jsonl");
    try (Writer w = Files.newBufferedWriter(merged, StandardCharsets.UTF_8)) {
      MergedEventLog.Summary s = MergedEventLog.write(cluster.eventFiles(), w);
      say.accept("      " + s.events() + " events from " + cluster.eventFiles().size() + " processes"
          + (s.truncatedLines() > 0 ? " (" + s.truncatedLines() + " cut short by SIGKILL, skipped)" : ""));
    }
    Verdict verdict = EventLogOracle.check(List.of(merged));
    say.accept("      " + verdict.summary().replace("\n", "\n      ").strip());
    double[] times = recoveryTimes(merged);
    say.accept(String.format("      recovery time: %.1f s = detection %.1f s (kill to lease declared expired) + recovery"
        + " %.1f s (plan, restores, replays)", times[0] + times[1], times[0], times[1]));
    say.accept("      " + storage(out.resolve("cluster").resolve("stable"), merged));
    Path timeline = out.resolve("timeline.svg");
    Files.writeString(timeline, Timeline.render(merged), StandardCharsets.UTF_8);
    say.accept(String.format("      events: %s   timeline: %s   (%.0f s in all)", merged, timeline,
        (System.nanoTime() - start) / 1e9));
    return new Outcome(verdict, times[0], times[1], merged, timeline);
  }

  private void watch(ApiClient api, String group, Duration d) throws IOException, InterruptedException {
    long end = System.nanoTime() + d.toNanos();
    while (System.nanoTime() < end) {
      Thread.sleep(Math.min(2000, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
      say.accept("      " + Groups.progress(api, group));
    }
  }

  /**
   * What stable storage holds at the end (checkpoint manifests, bytes on disk) and what the agents deleted from it as
   * the line moved: the collection keeps it to the line's checkpoints and the few after them.
   */
  static String storage(Path stable, Path merged) throws IOException {
    long manifests = 0;
    long bytes = 0;
    try (var files = Files.walk(stable)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        if (!Files.isRegularFile(f)) continue;
        bytes += Files.size(f);
        if (f.getParent().getParent() != null && f.getParent().getParent().endsWith("manifests")) manifests++;
      }
    }
    long deleted = 0;
    long records = 0;
    for (String line : Files.readAllLines(merged, StandardCharsets.UTF_8)) {
      if (!line.contains("\"event\":\"collected\"")) continue;
      com.google.gson.JsonObject e = com.google.gson.JsonParser.parseString(line).getAsJsonObject();
      deleted += e.get("stable").getAsLong();
      records += e.get("log_records").getAsLong();
    }
    return String.format("stable storage at the end: %d checkpoints, %.1f MiB; deleted behind the line as it moved:"
        + " %d checkpoints, %d log records", manifests, bytes / 1048576.0, deleted, records);
  }

  /** Seconds from the kill to the manager's declaring the lease expired, and from then to the recovery's end. */
  static double[] recoveryTimes(Path merged) throws IOException {
    List<RecoveryTimes.Kill> kills = RecoveryTimes.of(merged);
    if (kills.isEmpty()) return new double[] {Double.NaN, Double.NaN};
    return new double[] {kills.get(0).detection(), kills.get(0).recovery()};
  }
}
