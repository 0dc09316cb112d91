package org.vmqsc.protocol;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.List;
import org.junit.Test;
import org.vmqsc.protocol.host.HostAction;
import org.vmqsc.protocol.host.HostAction.Acknowledge;
import org.vmqsc.protocol.host.HostAction.Deliver;
import org.vmqsc.protocol.host.HostAction.Drop;
import org.vmqsc.protocol.host.HostAction.DropReason;
import org.vmqsc.protocol.host.HostAction.TakeCheckpoint;
import org.vmqsc.protocol.host.HostRules;
import org.vmqsc.protocol.host.SenderCopy;
import org.vmqsc.protocol.host.VmTransfer;

/**
 * A live migration of VM0 from host A (which also runs VM1) to host B; VM2 runs on host C. The rules' answers
 * only: nothing is carried out.
 */
public class HostRulesMigrationTest {
  private final GroupConfig config = new GroupConfig(1000, List.of(VmClass.SI, VmClass.SI, VmClass.SI));
  private final HostRules a = new HostRules(config);
  private final HostRules b = new HostRules(config);
  private final HostRules c = new HostRules(config);
  private long position;

  {
    for (TakeCheckpoint t : List.of(a.start(0), a.start(1), c.start(2))) {
      (t.record().vm() == 2 ? c : a).checkpointStaged(t.record());
    }
  }

  private Message send(HostRules host, int from, int to) {
    position++;
    return host.stamp(from, to, 100, 7 * position, position).orElseThrow();
  }

  private static boolean delivered(List<HostAction> actions) {
    return actions.stream().anyMatch(x -> x instanceof Deliver);
  }

  @Test public void theVmCarriesItsCountersAndTakesItsNextCheckpointOnTheNewHost() {
    send(a, 0, 2);
    assertTrue(delivered(a.onArrival(send(a, 1, 0), 5)));
    VmTransfer t = a.emigrate(0);
    assertFalse(a.runs(0));
    b.immigrate(t);
    assertTrue(b.runs(0));
    List<HostAction> next = b.onBoundary(0, 1, 10);
    TakeCheckpoint taken = (TakeCheckpoint) next.stream().filter(x -> x instanceof TakeCheckpoint).findFirst().orElseThrow();
    assertEquals(1, taken.record().index());
    assertArrayEquals(new long[] {0, 0, 1}, taken.record().sentTo());
    assertArrayEquals(new long[] {0, 1, 0}, taken.record().receivedFrom());
    assertEquals("its next send continues the channel", 2, send(b, 0, 2).seq());
  }

  @Test public void aFrameThatReachesTheOldHostAfterTheVmLeftIsDroppedAsMoved() {
    Message fromC = send(c, 2, 0);
    b.immigrate(a.emigrate(0));
    assertTrue(a.hasEmigrated(0));
    assertEquals(List.of(new Drop(fromC, DropReason.MOVED)), a.onArrival(fromC, 0));
    assertTrue("its sender still has the copy to resend", c.copiesTo(0).stream().anyMatch(x -> x.message().equals(fromC)));
    assertTrue(delivered(b.onArrival(fromC, 0)));
  }

  @Test public void aSameHostMessageInFlightGetsACopyOnItsSendersHost() {
    Message m = send(a, 1, 0); // same host: no copy yet
    assertTrue(a.copiesTo(0).isEmpty());
    VmTransfer t = a.emigrate(0);
    List<SenderCopy> copies = a.copiesTo(0);
    assertEquals("now cross-host, the sender's host keeps a copy to resend", List.of(m),
        copies.stream().map(SenderCopy::message).toList());
    assertFalse(copies.get(0).isAcknowledged());
    assertEquals(List.of(new Drop(m, DropReason.MOVED)), a.onArrival(m, 0));
    b.immigrate(t);
    assertTrue(delivered(b.onArrival(m, 0)));
  }

  @Test public void whatTheVmSentToVmsThatStayIsCopiedToItsNewHost() {
    Message received = send(a, 0, 1);
    a.onArrival(received, 3);
    Message onTheWay = send(a, 0, 1);
    VmTransfer t = a.emigrate(0);
    b.immigrate(t);
    List<SenderCopy> copies = b.copiesTo(1);
    assertEquals(2, copies.size());
    assertEquals(received, copies.get(0).message());
    assertEquals("acknowledged from VM1's log: rsn known", 1, copies.get(0).rsn());
    assertEquals(onTheWay, copies.get(1).message());
    assertFalse(copies.get(1).isAcknowledged());
    assertTrue("the old host does not keep them", a.copiesTo(1).isEmpty());
    assertTrue(delivered(a.onArrival(onTheWay, 4)));
  }

  @Test public void whatTheVmReceivedFromVmsThatStayBecomesACopyOnTheOldHost() {
    Message m = send(a, 1, 0);
    a.onArrival(m, 2);
    b.immigrate(a.emigrate(0));
    List<SenderCopy> copies = a.copiesTo(0);
    assertEquals(1, copies.size());
    assertTrue(copies.get(0).isAcknowledged());
    assertEquals(1, copies.get(0).rsn());
  }

  @Test public void anAcknowledgementThatReachesTheOldHostIsPassedOnToTheCopy() {
    Message m = send(a, 0, 2);
    LogEntry delivered = ((Deliver) c.onArrival(m, 0).stream().filter(x -> x instanceof Deliver).findFirst()
        .orElseThrow()).entry();
    b.immigrate(a.emigrate(0));
    assertFalse("A no longer holds the copy: pass it on", a.onAcknowledge(delivered));
    assertTrue(b.onAcknowledge(delivered));
    assertTrue(b.copiesTo(2).get(0).isAcknowledged());
  }

  @Test public void acknowledgementsTheOldHostOwedLeaveFromTheNewHost() {
    Message m = send(c, 2, 0);
    a.onArrival(m, 0);
    VmTransfer t = a.emigrate(0);
    assertEquals(1, t.pendingAcks().size());
    assertTrue("A owes nothing now", a.onBoundary(1, 1, 0).stream().noneMatch(x -> x instanceof Acknowledge));
    b.immigrate(t);
    Acknowledge ack = (Acknowledge) b.onBoundary(0, 1, 0).stream().filter(x -> x instanceof Acknowledge)
        .findFirst().orElseThrow();
    assertEquals(m, ack.entries().get(0).message());
  }

  @Test public void aDiscardedExecutionsCopiesDoNotImmigrate() {
    send(a, 0, 2);
    Message stale = send(a, 0, 2);
    VmTransfer t = a.emigrate(0);
    b.onRollback(0, 1, new long[] {0, 0, 1});
    b.immigrate(t);
    assertTrue(b.copiesTo(2).stream().noneMatch(x -> x.message().equals(stale)));
  }

  @Test public void aFrameAheadOfItsChannelAtAMigratedVmIsDroppedForTheResendToBringInOrder() {
    // VM0 left A with m1 on its way there, came back to A before m2 (sent to A earlier) arrived: m1 was dropped
    // at B, so m2 is ahead of its channel. C resends m1 and m2 in order when it learns the placement.
    Message m1 = send(c, 2, 0);
    Message m2 = send(c, 2, 0);
    b.immigrate(a.emigrate(0));
    a.immigrate(b.emigrate(0));
    assertEquals(List.of(new Drop(m2, DropReason.REORDERED)), a.onArrival(m2, 0));
    assertTrue(delivered(a.onArrival(m1, 0)));
    assertTrue(delivered(a.onArrival(m2, 0)));
  }

  @Test public void aVmThatNeverMigratedStillReportsAGapAsALoss() {
    send(c, 2, 1);
    Message second = send(c, 2, 1);
    assertThrows(IllegalStateException.class, () -> a.onArrival(second, 0));
  }

  @Test public void badTransfersAreRefused() {
    VmTransfer t = a.emigrate(0);
    b.immigrate(t);
    assertThrows(IllegalStateException.class, () -> b.immigrate(t));
    assertThrows(IllegalArgumentException.class, () -> a.emigrate(0));
    HostRules small = new HostRules(new GroupConfig(1000, List.of(VmClass.SI, VmClass.SI)));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> small.immigrate(t));
    assertTrue(e.getMessage(), e.getMessage().contains("the group has 2"));
    Message notItsOwn = new Message(2, 1, 1, 0, 0, 1, 1);
    IllegalArgumentException copy = assertThrows(IllegalArgumentException.class, () -> new VmTransfer(0, 0, 0,
        new long[3], new long[3], 0, 0, -1, t.latestTaken(), t.latestStaged(), 1, List.of(),
        List.of(new SenderCopy(notItsOwn, -1, -1, -1)), List.of()));
    assertTrue(copy.getMessage(), copy.getMessage().contains("did not send"));
  }
}
