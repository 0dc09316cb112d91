package org.vmqsc.evaluation.sim;

import java.util.ArrayList;
import java.util.List;
import org.vmqsc.evaluation.Failure;
import org.vmqsc.evaluation.Scenario;

/**
 * Checks a recovery plan against the scenario's real history, independently of the protocol that made it.
 * The recovered global state is every restored VM at its {@code recovered} cut and every other VM as it was at the
 * failure. It must be consistent and complete:
 * <ul>
 *   <li>every checkpoint and replayed message comes from somewhere the failure did not wipe;</li>
 *   <li>no orphan: no VM holds the receive of a message whose send the recovered sender does not hold;</li>
 *   <li>a restored VM replays each message it received between its checkpoint and its recovered state;</li>
 *   <li>each message in transit across the recovered state is delivered exactly once: replayed from a log, or still
 *       in the network at the failure (it arrives after it; a protocol whose relay drops duplicates may also
 *       replay it, and the late copy is dropped);</li>
 *   <li>nothing else is replayed (a message the recovered sender will send again must not also be replayed).</li>
 * </ul>
 */
public final class RecoveryOracle {
  private final Scenario scenario;
  private final Timeline timeline;

  public RecoveryOracle(Scenario scenario, Timeline timeline) {
    this.scenario = scenario;
    this.timeline = timeline;
  }

  /** The violations found, each one line; empty when the recovery is correct. */
  public List<String> check(RecoveryPlan plan) {
    List<String> problems = new ArrayList<>();
    Failure f = plan.failure();
    int vms = scenario.vms();
    Cut[] checkpoint = new Cut[vms];
    Cut[] recovered = new Cut[vms];
    Cut now = Cut.at(plan.failurePos());
    for (int v = 0; v < vms; v++) { checkpoint[v] = now; recovered[v] = now; }
    boolean[] failed = new boolean[vms];
    for (int v = 0; v < vms; v++) failed[v] = failedBy(f, v);
    boolean[] restored = new boolean[vms];
    for (Restore r : plan.restores()) {
      if (restored[r.vm()]) problems.add("VM " + r.vm() + " restored twice");
      restored[r.vm()] = true;
      checkpoint[r.vm()] = r.checkpoint();
      recovered[r.vm()] = r.recovered();
      if (!usable(r.source(), f)) problems.add("VM " + r.vm() + " restores a checkpoint that is lost: " + r.source());
    }
    for (int v = 0; v < vms; v++) {
      if (failed[v] && !restored[v]) problems.add("failed VM " + v + " is not restored");
    }
    int[] replayed = new int[scenario.messages().size()];
    for (Replay r : plan.replays()) {
      replayed[r.message()]++;
      if (!usable(r.source(), f)) problems.add("message " + r.message() + " replayed from a lost log: " + r.source());
    }
    for (int id = 0; id < replayed.length; id++) {
      var m = scenario.messages().get(id);
      boolean sent = recovered[m.src()].hasSent(timeline, id);
      boolean received = recovered[m.dst()].hasReceived(timeline, id);
      boolean inCheckpoint = checkpoint[m.dst()].hasReceived(timeline, id);
      int expected;
      String why;
      if (received && !sent) {
        problems.add("orphan: VM " + m.dst() + " holds message " + id + " that VM " + m.src() + " never sent");
        expected = inCheckpoint ? 0 : 1;
        why = "orphan";
      } else if (received) {
        expected = inCheckpoint ? 0 : 1;             // rebuilt by replay, or already in the checkpoint
        why = inCheckpoint ? "in the restored checkpoint" : "received between checkpoint and recovered state";
      } else if (sent) {
        boolean inNetwork = timeline.receivePos(id) > plan.failurePos();
        expected = inNetwork ? 0 : 1;                // in transit across the recovered state
        why = inNetwork ? "still on the wire at the failure" : "in transit across the recovered state";
      } else {
        expected = 0;                                // the sender will send it again
        why = "the recovered sender has not sent it yet";
      }
      boolean onWireAndDeduplicated = plan.dropsDuplicates() && sent && !received
          && timeline.receivePos(id) > plan.failurePos() && replayed[id] == 1;
      if (replayed[id] != expected && !onWireAndDeduplicated) {
        problems.add("message " + id + " (VM " + m.src() + " -> " + m.dst() + ") replayed " + replayed[id]
            + " times, expected " + expected + ": " + why);
      }
    }
    return problems;
  }

  private boolean usable(Source s, Failure f) {
    if (s.isStable()) return s.availableFrom() <= f.time();
    return !(f.kind() == Failure.Kind.HOST && f.target() == s.host());
  }

  private boolean failedBy(Failure f, int vm) {
    return f.kind() == Failure.Kind.VM ? f.target() == vm : scenario.placement().hostOf(vm) == f.target();
  }
}
