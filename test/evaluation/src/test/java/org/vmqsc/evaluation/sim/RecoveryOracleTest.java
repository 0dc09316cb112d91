package org.vmqsc.evaluation.sim;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.Test;
import org.vmqsc.evaluation.CostModel;
import org.vmqsc.evaluation.Failure;
import org.vmqsc.evaluation.MessageEvent;
import org.vmqsc.evaluation.Placement;
import org.vmqsc.evaluation.Scenario;
import org.vmqsc.evaluation.TimeModel;
import org.vmqsc.evaluation.VmClasses;

/** The oracle rejects each kind of broken recovery it exists to catch, on a hand-made history. */
public class RecoveryOracleTest {
  // VM 0 and 1 on host 0, VM 2 on host 1. m0: 0->2 sent 1 s, arrives 2 s; m1: 2->1 sent 3 s, arrives 4 s.
  private final List<MessageEvent> messages = List.of(
      new MessageEvent(0, 1, 2, 0, 2, 10), new MessageEvent(1, 3, 4, 2, 1, 10));
  private final Failure hostFailure = new Failure(5, Failure.Kind.HOST, 0);
  private final Scenario scenario = new Scenario("hand", messages, new Placement(new int[] {0, 0, 1}), new double[2],
      List.of(hostFailure), 10, 10, VmClasses.allSi(3));
  private final Timeline t = new Timeline(messages);
  private final RecoveryOracle oracle = new RecoveryOracle(scenario, t);
  private final long failurePos = t.positionOf(5);

  private RecoveryPlan plan(List<Restore> restores, List<Replay> replays) {
    return new RecoveryPlan(hostFailure, failurePos, restores, replays);
  }

  private Restore initial(int vm) {
    return Restore.withoutReplay(vm, Cut.at(0), 0, Source.stable(0));
  }

  @Test public void rollingEveryVmBackToTheStartIsConsistent() {
    assertEquals(List.of(), oracle.check(plan(List.of(initial(0), initial(1), initial(2)), List.of())));
  }

  @Test public void aFailedVmLeftOutIsReported() {
    List<String> p = oracle.check(plan(List.of(initial(0)), List.of()));
    assertTrue(p.toString(), p.stream().anyMatch(s -> s.contains("failed VM 1 is not restored")));
  }

  @Test public void anOrphanIsReported() {
    // VM 0 back to the start un-sends m0, which VM 2 (not rolled back) holds.
    List<String> p = oracle.check(plan(List.of(initial(0), initial(1)), List.of()));
    assertTrue(p.toString(), p.stream().anyMatch(s -> s.startsWith("orphan: VM 2 holds message 0")));
  }

  @Test public void aMessageInTransitMustBeReplayedExactlyOnce() {
    // VM 1 back to the start, VM 0 kept at its state before m0 was... rolled back to after sending m0 (2.5 s).
    Restore vm0 = Restore.withoutReplay(0, Cut.at(t.positionOf(2.5)), 2.5, Source.stable(2.5));
    List<Restore> restores = List.of(vm0, initial(1));
    // m1 (2 -> 1) was received at 4 s by VM 1, which now restarts from 0: in transit, must be replayed once.
    assertTrue(oracle.check(plan(restores, List.of())).stream().anyMatch(s -> s.contains("message 1") && s.contains("replayed 0 times")));
    assertEquals(List.of(), oracle.check(plan(restores, List.of(new Replay(1, Source.host(1))))));
    List<Replay> twice = new ArrayList<>(List.of(new Replay(1, Source.host(1)), new Replay(1, Source.host(1))));
    assertTrue(oracle.check(plan(restores, twice)).stream().anyMatch(s -> s.contains("replayed 2 times")));
  }

  @Test public void aReplayFromTheFailedHostOrALateCheckpointIsReported() {
    Restore vm0 = Restore.withoutReplay(0, Cut.at(t.positionOf(2.5)), 2.5, Source.host(0));
    List<String> p = oracle.check(plan(List.of(vm0, initial(1)), List.of(new Replay(1, Source.host(0)))));
    assertTrue(p.toString(), p.stream().anyMatch(s -> s.contains("restores a checkpoint that is lost")));
    assertTrue(p.toString(), p.stream().anyMatch(s -> s.contains("replayed from a lost log")));
    Restore notYetStable = Restore.withoutReplay(0, Cut.at(t.positionOf(2.5)), 2.5, Source.stable(6));
    assertTrue(oracle.check(plan(List.of(notYetStable, initial(1)), List.of(new Replay(1, Source.host(1)))))
        .stream().anyMatch(s -> s.contains("restores a checkpoint that is lost")));
  }

  @Test public void aMessageStillOnTheWireMayBeReplayedOnlyWhereDuplicatesAreDropped() {
    Failure early = new Failure(3.5, Failure.Kind.HOST, 0);   // m1 (2 -> 1) left at 3 s, arrives at 4 s
    long pos = t.positionOf(3.5);
    Restore vm0 = Restore.withoutReplay(0, Cut.at(pos), 3.5, Source.stable(3.5));
    Restore vm1 = Restore.withoutReplay(1, Cut.at(pos), 3.5, Source.stable(3.5));
    List<Replay> replayM1 = List.of(new Replay(1, Source.host(1)));
    assertEquals(List.of(), oracle.check(new RecoveryPlan(early, pos, List.of(vm0, vm1), List.of())));
    assertTrue(oracle.check(new RecoveryPlan(early, pos, List.of(vm0, vm1), replayM1)).stream()
        .anyMatch(s -> s.contains("still on the wire")));
    assertEquals(List.of(), oracle.check(new RecoveryPlan(early, pos, List.of(vm0, vm1), replayM1, true)));
  }

  @Test public void aMessageTheSenderWillSendAgainMustNotBeReplayed() {
    List<String> p = oracle.check(plan(List.of(initial(0), initial(1), initial(2)), List.of(new Replay(0, Source.stable(0)))));
    assertTrue(p.toString(), p.stream().anyMatch(s -> s.contains("message 0") && s.contains("expected 0")));
  }

  @Test public void usesEveryProtocolOnTheSameScenarioWithoutViolations() {
    Simulation sim = new Simulation(scenario, TimeModel.standard(), CostModel.standard(), 1);
    for (String name : org.vmqsc.evaluation.policy.Policies.names()) {
      Simulation.Outcome o = sim.run(org.vmqsc.evaluation.policy.Policies.create(name), Simulation.ProgressListener.NONE);
      assertEquals(name, 1, o.plans().size());
      if (!name.equals("vmqsc-paper")) assertEquals(name + ": " + o.violations(), List.of(), o.violations().get(0));
    }
  }
}
