package org.vmqsc.protocol;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.List;
import org.junit.Test;
import org.vmqsc.protocol.host.HostAction;
import org.vmqsc.protocol.host.HostAction.Drop;
import org.vmqsc.protocol.host.HostAction.DropReason;
import org.vmqsc.protocol.host.HostRules;

/**
 * What the host rules answer to a frame, on two hosts (VM0 on the first, VM1 on the second). These tests look at
 * the actions the rules return and carry none of them out; the runtime that does (HostNode) has its own tests.
 */
public class HostRulesTest {
  private final GroupConfig config = new GroupConfig(1000, List.of(VmClass.SI, VmClass.SI));
  private final HostRules sender = new HostRules(config);
  private final HostRules receiver = new HostRules(config);
  private long position;

  {
    sender.start(0);
    receiver.start(1);
  }

  private Message send() {
    position++;
    return sender.stamp(0, 1, 100, 31 + position, position).orElseThrow();
  }

  private List<HostAction> arrive(Message m) {
    return receiver.onArrival(m, 0);
  }

  @Test public void aCopyReplayedByARecoveryIsDroppedWhenTheWireDeliversItAgain() {
    // The planner replays senders' copies even of messages still on the wire; the relay's seq check makes the
    // later arrival harmless.
    Message m = send();
    arrive(m);
    List<HostAction> again = arrive(m);
    assertEquals(List.of(new Drop(m, DropReason.DUPLICATE)), again);
    assertEquals(1, receiver.receivedFrom(1)[0]);
  }

  @Test public void whatADiscardedExecutionSentIsDroppedAsStale() {
    Message before = send();
    Message after = send();
    receiver.onRollback(0, 1, new long[] {0, 1}); // VM0 rolled back to a line where it had sent 1 message to VM1
    assertTrue(arrive(before).stream().anyMatch(a -> a instanceof HostAction.Deliver));
    assertEquals(List.of(new Drop(after, DropReason.STALE)), arrive(after));
  }

  @Test public void anMiVmWithAPhaseCheckpointsAtItsOwnBoundariesAndLogsAtTheOthers() {
    HostRules host = new HostRules(new GroupConfig(1000, List.of(VmClass.SI, VmClass.mi(3, 1))));
    host.start(1);
    StringBuilder kinds = new StringBuilder();
    for (long n = 1; n <= 7; n++) {
      for (HostAction a : host.onBoundary(1, n, 0)) {
        if (a instanceof HostAction.TakeCheckpoint) kinds.append('C');
        if (a instanceof HostAction.WriteLogSegment) kinds.append('L');
      }
    }
    assertEquals("CLLCLLC", kinds.toString()); // boundaries 1, 4 and 7 (n mod 3 == 1)
  }

  @Test public void aGapInAChannelIsAnErrorNotASilentLoss() {
    send();
    Message second = send();
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> arrive(second));
    assertTrue(e.getMessage(), e.getMessage().contains("0->1"));
  }
}
