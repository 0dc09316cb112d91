package org.vmqsc.protocol;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.List;
import org.junit.Test;
import org.vmqsc.protocol.host.HostAction;
import org.vmqsc.protocol.host.HostAction.Drop;
import org.vmqsc.protocol.host.HostAction.DropReason;
import org.vmqsc.protocol.host.HostAction.TakeCheckpoint;
import org.vmqsc.protocol.host.VmReplayPlan;

public class HostRulesTest {
  private final Cluster c = Cluster.of(List.of(VmClass.SI, VmClass.SI), new int[] {0, 1}, 2);

  @Test public void aCopyReplayedByARecoveryIsDroppedWhenTheWireDeliversItAgain() {
    // The planner replays senders' copies even of messages still on the wire; the relay's seq check makes the
    // later arrival harmless.
    Message m = c.send(0, 1);
    c.deliver(m);
    List<HostAction> again = c.deliver(m);
    assertEquals(List.of(new Drop(m, DropReason.DUPLICATE)), again);
    assertEquals(1, c.host(1).receivedFrom(1)[0]);
  }

  @Test public void whatADiscardedExecutionSentIsDroppedAsStale() {
    Message before = c.send(0, 1);
    Message after = c.send(0, 1);
    c.host(1).onRollback(0, 1, new long[] {0, 1}); // VM0 rolled back to a line where it had sent 1 message to VM1
    assertTrue(c.deliver(before).stream().anyMatch(a -> a instanceof HostAction.Deliver));
    assertEquals(List.of(new Drop(after, DropReason.STALE)), c.deliver(after));
  }

  @Test public void aGapInAChannelIsAnErrorNotASilentLoss() {
    c.send(0, 1);
    Message second = c.send(0, 1);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> c.deliver(second));
    assertTrue(e.getMessage(), e.getMessage().contains("0->1"));
  }

  @Test public void aReplayingGuestsSendsAreNotSentTwice() {
    c.send(0, 1);
    c.send(0, 1);
    VmReplayPlan plan = c.host(0).planVmFailure(0);
    assertEquals(0, plan.checkpoint().index());
    assertEquals(2, plan.replayUntil());
    assertTrue("position 1 was sent before", c.host(0).stamp(0, 1, 1, 1, 1).isEmpty());
    assertTrue("position 3 is new", c.host(0).stamp(0, 1, 1, 1, 3).isPresent());
  }

  @Test public void acknowledgementsGoOutOncePerBasePeriodInOneBatch() {
    Message a = c.send(0, 1);
    Message b = c.send(0, 1);
    assertTrue(Cluster.only(c.deliver(a), HostAction.Acknowledge.class).isEmpty());
    assertTrue(Cluster.only(c.deliver(b), HostAction.Acknowledge.class).isEmpty());
    List<HostAction.Acknowledge> batch = Cluster.only(c.boundary(1, 1), HostAction.Acknowledge.class);
    assertEquals(1, batch.size());
    assertEquals(List.of(a, b), batch.get(0).entries().stream().map(LogEntry::message).toList());
    assertTrue("nothing left to acknowledge", Cluster.only(c.boundary(1, 2), HostAction.Acknowledge.class).isEmpty());
    batch.get(0).entries().forEach(c.host(0)::onAcknowledge);
    assertEquals(List.of(1L, 2L), c.host(0).copiesTo(1).stream().map(s -> s.rsn()).toList());
  }

  @Test public void theReceiveLogIsKeptUntilBothTheLineAndAStagedCheckpointHavePassedIt() {
    c.deliver(c.send(0, 1));
    TakeCheckpoint c1 = Cluster.only(c.boundary(1, 1), TakeCheckpoint.class).get(0);
    c.host(1).checkpointStaged(c1.record());
    assertEquals("the line has not passed it yet", 1, c.host(1).receiveLog(1).size());
    c.host(1).onLine(1);
    assertEquals(0, c.host(1).receiveLog(1).size());
  }
}
