package org.vmqsc.agent.node;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.List;
import org.junit.Before;
import org.junit.Test;
import org.vmqsc.agent.node.NodeCluster.Checkpointed;
import org.vmqsc.agent.node.NodeCluster.Delivered;
import org.vmqsc.agent.node.NodeCluster.Effect;
import org.vmqsc.agent.node.NodeCluster.InTransitWritten;
import org.vmqsc.agent.node.NodeCluster.SegmentWritten;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.Message;
import org.vmqsc.protocol.VmClass;
import org.vmqsc.protocol.host.SenderCopy;

/**
 * The paper's Fig. 2 and Fig. 3 on the host runtime: VM1 is MI_2, VM2 and VM3 are SI, VM4 is MI_3 (here VMs
 * 0..3). VM1 and VM2 run on HV1, VM3 and VM4 on HV2; each host's clock passes a boundary for both its VMs.
 */
public class PaperFiguresTest {
  private static final int VM1 = 0, VM2 = 1, VM3 = 2, VM4 = 3;
  private static final int HV1 = 0, HV2 = 1;
  private NodeCluster c;

  @Before public void group() {
    c = NodeCluster.of(List.of(VmClass.mi(2), VmClass.SI, VmClass.SI, VmClass.mi(3)), new int[] {0, 0, 1, 1}, 2);
  }

  @Test public void fig2_lineAfterFirstBoundaryKeepsTheMiVmsOnTheirOldCheckpoints() {
    c.boundaryAll(1);
    c.flushAll();
    assertEquals(1, c.keeper.advance().orElseThrow().index());
    // (C1,0, C2,1, C3,1, C4,0)
    assertArrayEquals(new long[] {0, 1, 1, 0}, c.keeper.line().checkpointOf());
  }

  @Test public void fig2_messageSentAfterC22ForcesC32BeforeDelivery() {
    c.boundaryAll(1);
    c.boundary(HV1, 2);                      // HV1's clock is ahead: C(2,2)
    Message m = c.send(VM2, VM3);
    assertEquals(2, m.index());
    List<Effect> onArrival = c.deliver(m);
    Checkpointed forced = (Checkpointed) onArrival.get(0);
    assertEquals(VM3, forced.record().vm());
    assertEquals(2, forced.record().index());
    assertTrue(forced.record().forced());
    assertEquals(0, forced.record().receivedFrom(VM2)); // m is not in C(3,2): it is received after it
    assertTrue(onArrival.get(1) instanceof Delivered);
    // HV2's own tick at 2 finds VM3 there already: nothing more for it.
    assertTrue(checkpointsOf(VM3, c.boundary(HV2, 2)).isEmpty());
  }

  @Test public void fig2_lineMovesOnlyWhenEveryVmDueAtTwoHasItsCheckpoint() {
    c.boundaryAll(1);
    c.boundaryAll(2);
    c.flushAllBut(VM1, 2);
    assertEquals("C(1,2) is still missing", 1, c.keeper.advance().map(l -> l.index()).orElse(1L).longValue());
    c.flushAll();
    assertEquals(2, c.keeper.advance().orElseThrow().index());
    // (C1,2, C2,2, C3,2, C4,0)
    assertArrayEquals(new long[] {2, 2, 2, 0}, c.keeper.line().checkpointOf());
  }

  @Test public void fig3_selectiveLogging() {
    Message m3 = c.send(VM2, VM1);           // received by VM1 (MI_2) in (0, T0)
    c.deliver(m3);
    Message m4 = c.send(VM2, VM4);           // cross-host: kept by both HVs
    c.deliver(m4);
    assertEquals(List.of(m4), c.node(VM2).snapshot().copies().get(VM4).stream().map(SenderCopy::message).toList());
    assertEquals(m4, c.node(VM4).snapshot().receiveLogs().get(VM4).get(0).message());

    SegmentWritten atT0 = segmentsOf(VM1, c.boundary(HV1, 1)).get(0);
    assertEquals("m3 goes to stable storage at T0", List.of(m3), atT0.entries().stream().map(LogEntry::message).toList());
    c.boundary(HV2, 1);

    Message m5 = c.send(VM2, VM1);           // VM1 checkpoints at 2T0: m5 is never written to stable storage
    c.deliver(m5);
    Message m6 = c.send(VM3, VM4);           // VM4 (MI_3) does not checkpoint at 2T0: m6 is
    c.deliver(m6);
    Message m7 = c.send(VM2, VM1);           // sent by VM2 before boundary 2, still on its way ...
    assertTrue(segmentsOf(VM1, c.boundary(HV1, 2)).isEmpty());
    SegmentWritten vm4At2 = segmentsOf(VM4, c.boundary(HV2, 2)).get(0);
    assertEquals(List.of(m6), vm4At2.entries().stream().map(LogEntry::message).toList());

    List<Effect> late = c.deliver(m7);       // ... received by VM1 after its checkpoint 2: in transit, to stable storage
    assertEquals(m7, NodeCluster.only(late, InTransitWritten.class).get(0).entry().message());

    c.boundary(HV1, 3);
    Message m8 = c.send(VM2, VM3);           // CSN 3 reaches VM3 before its boundary 3: forced C(3,3) first
    Checkpointed forced = checkpointsOf(VM3, c.deliver(m8)).get(0);
    assertEquals(3, forced.record().index());
    assertTrue(forced.record().forced());
    assertTrue(checkpointsOf(VM3, c.deliver(c.send(VM2, VM3))).isEmpty());
  }

  private static List<Checkpointed> checkpointsOf(int vm, List<Effect> effects) {
    return NodeCluster.only(effects, Checkpointed.class).stream().filter(x -> x.record().vm() == vm).toList();
  }

  private static List<SegmentWritten> segmentsOf(int vm, List<Effect> effects) {
    return NodeCluster.only(effects, SegmentWritten.class).stream().filter(x -> x.record().vm() == vm).toList();
  }
}
