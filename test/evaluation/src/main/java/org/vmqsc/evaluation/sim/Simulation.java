package org.vmqsc.evaluation.sim;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import org.vmqsc.evaluation.CostModel;
import org.vmqsc.evaluation.Failure;
import org.vmqsc.evaluation.MessageEvent;
import org.vmqsc.evaluation.Metrics;
import org.vmqsc.evaluation.Scenario;
import org.vmqsc.evaluation.TimeModel;
import org.vmqsc.evaluation.policy.Policy;
import org.vmqsc.evaluation.policy.PolicyContext;
import org.vmqsc.evaluation.policy.Tally;

/**
 * Runs one policy over a scenario: timers and failures interleaved with the scenario's message events in time
 * order, each recovery plan checked by the {@link RecoveryOracle}, and the counters turned into {@link Metrics}.
 */
public final class Simulation {
  private final Scenario scenario;
  private final Timeline timeline;
  private final TimeModel timeModel;
  private final CostModel costModel;
  private final long seed;

  public Simulation(Scenario scenario, TimeModel timeModel, CostModel costModel, long seed) {
    this.scenario = scenario;
    this.timeline = new Timeline(scenario.messages());
    this.timeModel = timeModel;
    this.costModel = costModel;
    this.seed = seed;
  }

  public Timeline timeline() { return timeline; }

  /** The outcome of one run: the metrics, and every recovery plan with the oracle's findings. */
  public record Outcome(Metrics metrics, List<RecoveryPlan> plans, List<List<String>> violations) {}

  private record Timer(double time, int order, long seq, PolicyContext.TimerAction action) {}

  public Outcome run(Policy policy, ProgressListener progress) {
    Tally tally = new Tally(scenario.basePeriod());
    PriorityQueue<Timer> timers = new PriorityQueue<>((a, b) -> {
      int c = Double.compare(a.time, b.time);
      if (c != 0) return c;
      c = Integer.compare(a.order, b.order);
      return c != 0 ? c : Long.compare(a.seq, b.seq);
    });
    long[] seq = {0};
    PolicyContext ctx = new PolicyContext() {
      @Override public Scenario scenario() { return scenario; }
      @Override public Timeline timeline() { return timeline; }
      @Override public TimeModel timeModel() { return timeModel; }
      @Override public CostModel costModel() { return costModel; }
      @Override public Tally tally() { return tally; }
      @Override public long seed() { return seed; }
      @Override public void schedule(double time, TimerAction action) {
        timers.add(new Timer(time, 0, seq[0]++, action));
      }
    };
    RecoveryOracle oracle = new RecoveryOracle(scenario, timeline);
    List<RecoveryPlan> plans = new ArrayList<>();
    List<List<String>> violations = new ArrayList<>();
    for (Failure f : scenario.failures()) {
      // Failures run after the policy's own timers at the same instant.
      timers.add(new Timer(f.time(), 1, seq[0]++, (time, pos) -> {
        RecoveryPlan plan = policy.recover(f, pos);
        plans.add(plan);
        violations.add(oracle.check(plan));
      }));
    }
    policy.start(ctx);
    int events = timeline.events();
    for (int k = 0; k < events; k++) {
      double t = timeline.time(k);
      while (!timers.isEmpty() && timers.peek().time <= t) fire(timers.poll());
      MessageEvent m = scenario.messages().get(timeline.message(k));
      if (timeline.isReceive(k)) policy.onReceive(m, timeline.position(k)); else policy.onSend(m, timeline.position(k));
      if ((k & 0xFFF) == 0) progress.progress(k, events);
    }
    while (!timers.isEmpty() && timers.peek().time <= scenario.duration()) fire(timers.poll());
    policy.finish(scenario.duration());
    progress.progress(events, events);
    return new Outcome(metrics(policy.name(), tally, plans, violations), plans, violations);
  }

  private void fire(Timer timer) {
    timer.action.fire(timer.time, timeline.positionOf(timer.time));
  }

  private Metrics metrics(String protocol, Tally t, List<RecoveryPlan> plans, List<List<String>> violations) {
    Map<String, Double> m = new LinkedHashMap<>();
    long messages = scenario.messages().size();
    long bytes = 0;
    for (MessageEvent e : scenario.messages()) bytes += e.bytes();
    m.put("messages", (double) messages);
    m.put("bytes", (double) bytes);
    m.put("basic_checkpoints", (double) t.basicCheckpoints);
    m.put("forced_checkpoints", (double) t.forcedCheckpoints);
    m.put("forced_per_basic", t.basicCheckpoints == 0 ? 0 : (double) t.forcedCheckpoints / t.basicCheckpoints);
    m.put("logged_messages", (double) t.loggedMessages);
    m.put("eta_messages", messages == 0 ? 0 : (double) t.loggedMessages / messages);
    m.put("eta_bytes", bytes == 0 ? 0 : (double) t.loggedBytes / bytes);
    m.put("control_messages", (double) t.controlMessages);
    m.put("piggyback_bytes_per_message", messages == 0 ? 0 : (double) t.piggybackBytes / messages);
    m.put("blocking_vm_seconds", t.blockingSeconds);
    m.put("stable_mb_written", t.storageBytes() / 1e6);
    m.put("peak_storage_mb_per_s", t.peakStorageBytesPerSecond() / 1e6);
    m.put("overhead_percent", 100 * (t.pauseSeconds + t.blockingSeconds) / (scenario.vms() * scenario.duration()));
    for (Failure.Kind kind : Failure.Kind.values()) {
      String p = kind == Failure.Kind.VM ? "vm_failure_" : "host_failure_";
      double count = 0, rolled = 0, lost = 0, replayed = 0;
      for (RecoveryPlan plan : plans) {
        if (plan.failure().kind() != kind) continue;
        count++;
        rolled += plan.restores().size();
        lost += plan.workLostSeconds();
        replayed += plan.replays().size();
      }
      m.put(p + "rolled_back", count == 0 ? 0 : rolled / count);
      m.put(p + "work_lost_s", count == 0 ? 0 : lost / count);
      if (kind == Failure.Kind.HOST) {
        double[] parts = reworkParts(plans);
        for (int i = 0; i < REWORK_PARTS.length; i++) m.put(p + REWORK_PARTS[i], count == 0 ? 0 : parts[i] / count);
      }
      m.put(p + "replayed", count == 0 ? 0 : replayed / count);
    }
    m.put("inconsistent_recoveries", (double) violations.stream().filter(v -> !v.isEmpty()).count());
    return new Metrics(protocol, scenario.name(), m, org.vmqsc.evaluation.RunParameters.of(scenario, timeModel,
        costModel, seed));
  }

  private static final String[] REWORK_PARTS = {"work_lost_failed_s", "work_lost_survivors_s", "log_replay_s",
      "reexecution_s"};

  /**
   * The host failures' rework, summed, split two ways: the failed host's VMs against the survivors rolled back,
   * and deterministic log replay (checkpoint to recovered state) against execution again (recovered state to the
   * failure).
   */
  private double[] reworkParts(List<RecoveryPlan> plans) {
    double[] parts = new double[REWORK_PARTS.length];
    for (RecoveryPlan plan : plans) {
      Failure f = plan.failure();
      if (f.kind() != Failure.Kind.HOST) continue;
      for (Restore r : plan.restores()) {
        double total = f.time() - r.checkpointTime();
        boolean failed = scenario.placement().hostOf(r.vm()) == f.target();
        parts[failed ? 0 : 1] += total;
        double recovered = Math.min(f.time(), Math.max(r.checkpointTime(),
            timeline.timeBefore(r.recovered().sendsBefore())));
        parts[2] += recovered - r.checkpointTime();
        parts[3] += f.time() - recovered;
      }
    }
    return parts;
  }

  /** Told how far a run has got; the command draws a progress bar from it. */
  public interface ProgressListener {
    ProgressListener NONE = (done, total) -> { };

    void progress(long done, long total);
  }
}
