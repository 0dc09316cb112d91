package org.vmqsc.protocol;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.Test;
import org.vmqsc.protocol.host.HostAction.TakeCheckpoint;
import org.vmqsc.protocol.host.HostAction.WriteInTransit;
import org.vmqsc.protocol.host.HostAction.WriteLogSegment;
import org.vmqsc.protocol.host.HostRules;
import org.vmqsc.protocol.host.SenderCopy;
import org.vmqsc.protocol.host.VmReplayPlan;
import org.vmqsc.protocol.recovery.RecoveryPlan;
import org.vmqsc.protocol.recovery.RecoveryPlanner;
import org.vmqsc.protocol.recovery.Replay;
import org.vmqsc.protocol.recovery.ReplaySource;
import org.vmqsc.protocol.recovery.Survivors;
import org.vmqsc.protocol.recovery.VmRestore;

/** One named test per gap the paper leaves open (README, "What the paper leaves open"). */
public class HolesTest {

  private static Survivors survivorsOn(Cluster c, Set<Integer> failed, HostRules... upHosts) {
    List<HostRules> up = List.of(upHosts);
    Set<Integer> alive = c.hostOf.entrySet().stream()
        .filter(e -> up.contains(e.getValue()) && !failed.contains(e.getKey()))
        .map(Map.Entry::getKey).collect(Collectors.toCollection(java.util.TreeSet::new));
    return new Survivors() {
      @Override public Set<Integer> vms() { return alive; }
      @Override public long[] receivedFrom(int vm) { return c.host(vm).receivedFrom(vm); }
      @Override public List<LogEntry> receiveLog(int vm) { return up.contains(c.host(vm)) ? c.host(vm).receiveLog(vm) : List.of(); }
      @Override public List<SenderCopy> copiesTo(int vm) {
        return up.stream().flatMap(h -> h.copiesTo(vm).stream()).toList();
      }
    };
  }

  private static Map<Integer, List<LogEntry>> stableInTransit(Cluster c) {
    return c.actions.stream().filter(a -> a instanceof WriteInTransit).map(a -> ((WriteInTransit) a).entry())
        .collect(Collectors.groupingBy(e -> e.message().to()));
  }

  @Test public void hole1_lateMessageIsLoggedStablyAndHoldsTheLineUntilThen() {
    Cluster c = Cluster.of(List.of(VmClass.SI, VmClass.SI), new int[] {0, 1}, 2);
    Message late = c.send(0, 1);            // sent in interval 0 ...
    c.boundary(0, 1);
    c.boundary(1, 1);
    List<WriteInTransit> writes = Cluster.only(c.deliver(late), WriteInTransit.class); // ... received in interval 1
    assertEquals(1, writes.size());
    for (var a : c.actions) {
      if (a instanceof TakeCheckpoint t) {
        c.keeper.record(t.record());
        c.keeper.markStable(t.record().vm(), t.record().index(), 0);
      }
    }
    assertTrue("line 1 leaves the late message in transit: it must wait for its stable copy", c.keeper.advance().isEmpty());
    c.keeper.markInTransitLogged(late);
    assertEquals(1, c.keeper.advance().orElseThrow().index());
  }

  @Test public void hole2_sameHostMessageInTransitSurvivesItsHost() {
    // VM0 and VM1 share host A; host A fails with a message between them in transit across the line.
    HostRules a = new HostRules(new GroupConfig(1000, List.of(VmClass.SI, VmClass.SI, VmClass.SI)));
    HostRules b = new HostRules(new GroupConfig(1000, List.of(VmClass.SI, VmClass.SI, VmClass.SI)));
    Cluster c = new Cluster(new GroupConfig(1000, List.of(VmClass.SI, VmClass.SI, VmClass.SI)), new int[] {0, 0, 1}, a, b);
    Message m = c.send(0, 1);
    for (int vm = 0; vm < 3; vm++) c.boundary(vm, 1);
    c.deliver(m);
    c.flushAll();
    assertEquals(1, c.keeper.advance().orElseThrow().index());
    RecoveryPlan plan = RecoveryPlanner.planHostFailure(c.config, c.keeper, Set.of(0, 1), survivorsOn(c, Set.of(0, 1), b),
        stableInTransit(c));
    VmRestore vm1 = plan.restores().stream().filter(r -> r.vm() == 1).findFirst().orElseThrow();
    assertEquals(List.of(m), vm1.replays().stream().map(Replay::message).toList());
    assertEquals(ReplaySource.STABLE_IN_TRANSIT, vm1.replays().get(0).source());
  }

  @Test public void hole3_stagedCheckpointServesAVmFailureButNeverTheLine() {
    Cluster c = Cluster.of(List.of(VmClass.SI, VmClass.SI), new int[] {0, 1}, 2);
    c.boundary(0, 1);
    c.boundary(1, 1);
    c.reportStaged();
    for (var a : Cluster.only(c.actions, TakeCheckpoint.class)) c.host(a.record().vm()).checkpointStaged(a.record());
    assertEquals(1, c.host(0).planVmFailure(0).checkpoint().index());
    assertTrue("staged checkpoints must not move the line", c.keeper.advance().isEmpty());
    c.flushAll();
    assertEquals(1, c.keeper.advance().orElseThrow().index());
  }

  @Test public void hole4_replayKeepsTheOriginalReceiveOrderAndPositions() {
    Cluster c = Cluster.of(List.of(VmClass.SI, VmClass.SI, VmClass.SI), new int[] {0, 1, 1}, 2);
    Message x = c.send(1, 0);
    Message y = c.send(2, 0);
    Message z = c.send(1, 0);
    c.deliver(y);
    c.position[0] = 7;
    c.deliver(x);
    c.deliver(z);
    VmReplayPlan plan = c.host(0).planVmFailure(0);
    assertEquals(List.of(y, x, z), plan.entries().stream().map(LogEntry::message).toList());
    assertEquals(List.of(0L, 7L, 7L), plan.entries().stream().map(LogEntry::position).toList());
    // The sender's host learns where its messages landed, so its copies can order a replay after a host failure.
    for (LogEntry e : c.host(0).receiveLog(0)) c.host(e.message().from()).onAcknowledge(e);
    assertEquals(List.of(2L, 3L), c.host(1).copiesTo(0).stream().filter(s -> s.message().from() == 1)
        .map(SenderCopy::rsn).toList());
  }

  @Test public void hole5_onlyVmsThatWouldHoldAnOrphanRollBack() {
    Cluster c = Cluster.of(List.of(VmClass.SI, VmClass.SI, VmClass.SI, VmClass.SI), new int[] {0, 1, 1, 1}, 2);
    Message before = c.send(0, 2);            // sent before line 1: not an orphan for VM2
    for (int vm = 0; vm < 4; vm++) c.boundary(vm, 1);
    c.deliver(before);
    c.flushAll();
    assertEquals(1, c.keeper.advance().orElseThrow().index());
    c.deliver(c.send(0, 1));                  // sent after line 1 by VM0: VM1 holds an orphan if VM0 rolls back
    c.deliver(c.send(1, 3));                  // and VM1 would then make VM3's receipt an orphan too
    RecoveryPlan plan = RecoveryPlanner.planHostFailure(c.config, c.keeper, Set.of(0),
        survivorsOn(c, Set.of(0), c.host(1)), stableInTransit(c));
    assertEquals(Set.of(0, 1, 3), plan.rolledBack());
  }

  @Test public void hole6_anMiVmNotDueAdvancesAndLogsOrForcesAsConfigured() {
    for (EarlyIndexPolicy policy : EarlyIndexPolicy.values()) {
      GroupConfig config = new GroupConfig(1000, List.of(VmClass.SI, VmClass.mi(2)), policy);
      Cluster c = new Cluster(config, new int[] {0, 1}, new HostRules(config), new HostRules(config));
      c.boundary(0, 1);
      var actions = c.deliver(c.send(0, 1));  // CSN 1 reaches the MI_2 VM before its own boundary 1
      if (policy == EarlyIndexPolicy.ADVANCE_AND_LOG) {
        assertTrue(Cluster.only(actions, TakeCheckpoint.class).isEmpty());
        assertFalse("only checkpoints are forced", Cluster.only(actions, WriteLogSegment.class).get(0).record().forced());
      } else {
        assertTrue(Cluster.only(actions, TakeCheckpoint.class).get(0).record().forced());
      }
      assertEquals(1, c.host(1).index(1));
    }
  }

  @Test public void hole7_aRealGuestGoesBackToTheLineAndGetsItsInTransitMessagesFromItsHostsLog() {
    // A real guest cannot replay forward: its failure is planned like a host failure, but its host's log survives.
    Cluster c = Cluster.of(List.of(VmClass.SI, VmClass.SI), new int[] {0, 1}, 2);
    for (int vm = 0; vm < 2; vm++) c.boundary(vm, 1);
    c.flushAll();
    c.keeper.advance();
    Message after = c.send(1, 0);
    c.deliver(after);
    RecoveryPlan plan = RecoveryPlanner.planHostFailure(c.config, c.keeper, Set.of(0),
        survivorsOn(c, Set.of(0), c.host(0), c.host(1)), stableInTransit(c));
    assertEquals("the sender keeps running", Set.of(0), plan.rolledBack());
    VmRestore r = plan.restores().get(0);
    assertEquals(1, r.checkpoint().index());
    assertEquals(List.of(after), r.replays().stream().map(Replay::message).toList());
    assertEquals(ReplaySource.RECEIVER_LOG, r.replays().get(0).source());
    assertFalse(r.replays().get(0).originalRsn() <= 0);
  }
}
