package org.vmqsc.agent.node;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.List;
import org.junit.Test;
import org.vmqsc.agent.node.NodeCluster.Acknowledged;
import org.vmqsc.agent.node.NodeCluster.Checkpointed;
import org.vmqsc.agent.node.NodeCluster.Rebuilt;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.Message;
import org.vmqsc.protocol.VmClass;
import org.vmqsc.protocol.host.SenderCopy;

/** The host rules as the runtime carries them out, on two hosts (VM0 on host 0, VM1 on host 1). */
public class HostNodeTest {
  private final NodeCluster c = NodeCluster.of(List.of(VmClass.SI, VmClass.SI), new int[] {0, 1}, 2);

  @Test public void aReplayingGuestsSendsAreNotSentTwice() {
    c.send(0, 1);
    c.send(0, 1);
    Rebuilt rebuilt = c.failVm(0);
    assertEquals(0, rebuilt.checkpoint().index());
    assertEquals(2, rebuilt.until());
    assertTrue("position 1 was sent before", c.sendAt(0, 1, 1).isEmpty());
    assertTrue("position 3 is new", c.sendAt(0, 1, 3).isPresent());
  }

  @Test public void acknowledgementsGoOutOncePerBasePeriodInOneBatch() {
    Message a = c.send(0, 1);
    Message b = c.send(0, 1);
    assertTrue(NodeCluster.only(c.deliver(a), Acknowledged.class).isEmpty());
    assertTrue(NodeCluster.only(c.deliver(b), Acknowledged.class).isEmpty());
    List<Acknowledged> batch = NodeCluster.only(c.boundary(1, 1), Acknowledged.class);
    assertEquals(1, batch.size());
    assertEquals(List.of(a, b), batch.get(0).entries().stream().map(LogEntry::message).toList());
    assertTrue("nothing left to acknowledge", NodeCluster.only(c.boundary(1, 2), Acknowledged.class).isEmpty());
    // The sender's host took the batch: its copies know where the messages landed.
    assertEquals(List.of(1L, 2L), c.host(0).snapshot().copies().get(1).stream().map(SenderCopy::rsn).toList());
  }

  @Test public void theReceiveLogIsKeptUntilBothTheLineAndAStagedCheckpointHavePassedIt() {
    c.deliver(c.send(0, 1));
    Checkpointed c1 = NodeCluster.only(c.boundary(1, 1), Checkpointed.class).get(0);
    assertEquals(1, c1.record().vm());
    c.stageCheckpoints();
    assertEquals("the line has not passed it yet", 1, c.host(1).snapshot().receiveLogs().get(1).size());
    c.host(1).onLine(1);
    assertEquals(0, c.host(1).snapshot().receiveLogs().get(1).size());
  }
}
