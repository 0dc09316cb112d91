package org.vmqsc.agent.node;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.Test;
import org.vmqsc.agent.node.NodeCluster.Acknowledged;
import org.vmqsc.agent.node.NodeCluster.Checkpointed;
import org.vmqsc.agent.node.NodeCluster.Effect;
import org.vmqsc.agent.node.NodeCluster.InTransitWritten;
import org.vmqsc.agent.node.NodeCluster.Rebuilt;
import org.vmqsc.agent.node.NodeCluster.SegmentWritten;
import org.vmqsc.protocol.EarlyIndexPolicy;
import org.vmqsc.protocol.GroupConfig;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.Message;
import org.vmqsc.protocol.VmClass;
import org.vmqsc.protocol.host.SenderCopy;
import org.vmqsc.protocol.recovery.RecoveryPlan;
import org.vmqsc.protocol.recovery.RecoveryPlanner;
import org.vmqsc.protocol.recovery.Replay;
import org.vmqsc.protocol.recovery.ReplaySource;
import org.vmqsc.protocol.recovery.VmRestore;

/**
 * One named test per gap the paper leaves open (README, "What the paper leaves open"), on the host runtime: host
 * nodes with recording ports, and the protocol's line keeper taking their reports on the manager's side.
 */
public class HolesTest {

  @Test public void hole1_lateMessageIsLoggedStablyAndHoldsTheLineUntilThen() {
    NodeCluster c = NodeCluster.of(List.of(VmClass.SI, VmClass.SI), new int[] {0, 1}, 2);
    Message late = c.send(0, 1);            // sent in interval 0 ...
    c.boundary(0, 1);
    c.boundary(1, 1);
    List<InTransitWritten> writes = NodeCluster.only(c.deliver(late), InTransitWritten.class); // ... received in interval 1
    assertEquals(1, writes.size());
    assertEquals(late, writes.get(0).entry().message());
    c.flushCheckpoints();
    assertTrue("line 1 leaves the late message in transit: it must wait for its stable copy", c.keeper.advance().isEmpty());
    c.flushLogs();
    assertEquals(1, c.keeper.advance().orElseThrow().index());
  }

  @Test public void hole2_sameHostMessageInTransitSurvivesItsHost() {
    // VM0 and VM1 share host A; host A fails with a message between them in transit across the line.
    NodeCluster c = NodeCluster.of(List.of(VmClass.SI, VmClass.SI, VmClass.SI), new int[] {0, 0, 1}, 2);
    Message m = c.send(0, 1);
    c.boundaryAll(1);
    c.deliver(m);
    c.flushAll();
    assertEquals(1, c.keeper.advance().orElseThrow().index());
    RecoveryPlan plan = RecoveryPlanner.planHostFailure(c.config, c.keeper, Set.of(0, 1),
        c.survivors(Set.of(0, 1), 1), c.stableInTransit);
    VmRestore vm1 = plan.restores().stream().filter(r -> r.vm() == 1).findFirst().orElseThrow();
    assertEquals(List.of(m), vm1.replays().stream().map(Replay::message).toList());
    assertEquals(ReplaySource.STABLE_IN_TRANSIT, vm1.replays().get(0).source());
  }

  @Test public void hole3_stagedCheckpointServesAVmFailureButNeverTheLine() {
    NodeCluster c = NodeCluster.of(List.of(VmClass.SI, VmClass.SI), new int[] {0, 1}, 2);
    c.boundary(0, 1);
    c.boundary(1, 1);
    c.stageCheckpoints();
    assertEquals(1, c.failVm(0).checkpoint().index());
    assertTrue("staged checkpoints must not move the line", c.keeper.advance().isEmpty());
    c.flushAll();
    assertEquals(1, c.keeper.advance().orElseThrow().index());
  }

  @Test public void hole4_replayKeepsTheOriginalReceiveOrderAndPositions() {
    NodeCluster c = NodeCluster.of(List.of(VmClass.SI, VmClass.SI, VmClass.SI), new int[] {0, 1, 1}, 2);
    Message x = c.send(1, 0);
    Message y = c.send(2, 0);
    Message z = c.send(1, 0);
    c.deliver(y);
    c.position[0] = 7;
    c.deliver(x);
    c.deliver(z);
    Rebuilt rebuilt = c.failVm(0);
    assertEquals(List.of(y, x, z), rebuilt.replay().stream().map(LogEntry::message).toList());
    assertEquals(List.of(0L, 7L, 7L), rebuilt.replay().stream().map(LogEntry::position).toList());
    // The sender's host learns where its messages landed, so its copies can order a replay after a host failure.
    List<Acknowledged> acks = NodeCluster.only(c.boundary(0, 1), Acknowledged.class);
    assertEquals(List.of(y, x, z), acks.get(0).entries().stream().map(LogEntry::message).toList());
    assertEquals(List.of(2L, 3L), c.node(1).snapshot().copies().get(0).stream().filter(s -> s.message().from() == 1)
        .map(SenderCopy::rsn).toList());
  }

  @Test public void hole5_onlyVmsThatWouldHoldAnOrphanRollBack() {
    NodeCluster c = NodeCluster.of(List.of(VmClass.SI, VmClass.SI, VmClass.SI, VmClass.SI), new int[] {0, 1, 1, 1}, 2);
    Message before = c.send(0, 2);            // sent before line 1: not an orphan for VM2
    c.boundaryAll(1);
    c.deliver(before);
    c.flushAll();
    assertEquals(1, c.keeper.advance().orElseThrow().index());
    c.deliver(c.send(0, 1));                  // sent after line 1 by VM0: VM1 holds an orphan if VM0 rolls back
    c.deliver(c.send(1, 3));                  // and VM1 would then make VM3's receipt an orphan too
    RecoveryPlan plan = RecoveryPlanner.planHostFailure(c.config, c.keeper, Set.of(0),
        c.survivors(Set.of(0), 1), c.stableInTransit);
    assertEquals(Set.of(0, 1, 3), plan.rolledBack());
  }

  @Test public void hole6_anMiVmNotDueAdvancesAndLogsOrForcesAsConfigured() {
    for (EarlyIndexPolicy policy : EarlyIndexPolicy.values()) {
      GroupConfig config = new GroupConfig(1000, List.of(VmClass.SI, VmClass.mi(2)), policy);
      NodeCluster c = new NodeCluster(config, new int[] {0, 1}, 2);
      c.boundary(0, 1);
      List<Effect> effects = c.deliver(c.send(0, 1)); // CSN 1 reaches the MI_2 VM before its own boundary 1
      if (policy == EarlyIndexPolicy.ADVANCE_AND_LOG) {
        assertTrue(NodeCluster.only(effects, Checkpointed.class).isEmpty());
        assertFalse("only checkpoints are forced",
            NodeCluster.only(effects, SegmentWritten.class).get(0).record().forced());
      } else {
        assertTrue(NodeCluster.only(effects, Checkpointed.class).get(0).record().forced());
      }
      assertEquals(1, c.node(1).index(1));
    }
  }

  @Test public void hole7_aRealGuestGoesBackToTheLineAndGetsItsInTransitMessagesFromItsHostsLog() {
    // A real guest cannot replay forward: its failure is planned like a host failure, but its host's log survives.
    NodeCluster c = NodeCluster.of(List.of(VmClass.SI, VmClass.SI), new int[] {0, 1}, 2);
    c.boundaryAll(1);
    c.flushAll();
    c.keeper.advance();
    Message after = c.send(1, 0);
    c.deliver(after);
    RecoveryPlan plan = RecoveryPlanner.planHostFailure(c.config, c.keeper, Set.of(0),
        c.survivors(Set.of(0), 0, 1), c.stableInTransit);
    assertEquals("the sender keeps running", Set.of(0), plan.rolledBack());
    VmRestore r = plan.restores().get(0);
    assertEquals(1, r.checkpoint().index());
    assertEquals(List.of(after), r.replays().stream().map(Replay::message).toList());
    assertEquals(ReplaySource.RECEIVER_LOG, r.replays().get(0).source());
    assertFalse(r.replays().get(0).originalRsn() <= 0);
  }
}
