package org.vmqsc.protocol;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.List;
import org.junit.Before;
import org.junit.Test;
import org.vmqsc.protocol.host.HostAction;
import org.vmqsc.protocol.host.HostAction.Deliver;
import org.vmqsc.protocol.host.HostAction.TakeCheckpoint;
import org.vmqsc.protocol.host.HostAction.WriteInTransit;
import org.vmqsc.protocol.host.HostAction.WriteLogSegment;

/**
 * The paper's Fig. 2 and Fig. 3: VM1 is MI_2, VM2 and VM3 are SI, VM4 is MI_3 (here VMs 0..3). VM1 and VM2 run on
 * HV1, VM3 and VM4 on HV2.
 */
public class PaperFiguresTest {
  private static final int VM1 = 0, VM2 = 1, VM3 = 2, VM4 = 3;
  private Cluster c;

  @Before public void group() {
    c = Cluster.of(List.of(VmClass.mi(2), VmClass.SI, VmClass.SI, VmClass.mi(3)), new int[] {0, 0, 1, 1}, 2);
  }

  @Test public void fig2_lineAfterFirstBoundaryKeepsTheMiVmsOnTheirOldCheckpoints() {
    for (int vm = 0; vm < 4; vm++) c.boundary(vm, 1);
    c.flushAll();
    assertEquals(1, c.keeper.advance().orElseThrow().index());
    // (C1,0, C2,1, C3,1, C4,0)
    assertArrayEquals(new long[] {0, 1, 1, 0}, c.keeper.line().checkpointOf());
  }

  @Test public void fig2_messageSentAfterC22ForcesC32BeforeDelivery() {
    for (int vm = 0; vm < 4; vm++) c.boundary(vm, 1);
    c.boundary(VM2, 2);                      // HV1's clock is ahead: C(2,2)
    Message m = c.send(VM2, VM3);
    assertEquals(2, m.csn());
    List<HostAction> onArrival = c.deliver(m);
    TakeCheckpoint forced = (TakeCheckpoint) onArrival.get(0);
    assertEquals(VM3, forced.record().vm());
    assertEquals(2, forced.record().index());
    assertTrue(forced.record().forced());
    assertEquals(0, forced.record().receivedFrom(VM2)); // m is not in C(3,2): it is received after it
    assertTrue(onArrival.get(1) instanceof Deliver);
    // HV2's own tick at 2 finds VM3 there already: nothing more.
    assertTrue(Cluster.only(c.boundary(VM3, 2), TakeCheckpoint.class).isEmpty());
  }

  @Test public void fig2_lineMovesOnlyWhenEveryVmDueAtTwoHasItsCheckpoint() {
    for (int vm = 0; vm < 4; vm++) c.boundary(vm, 1);
    c.boundary(VM2, 2);
    c.boundary(VM3, 2);
    c.boundary(VM4, 2);
    c.flushAll();
    assertEquals("C(1,2) is still missing", 1, c.keeper.advance().map(l -> l.index()).orElse(1L).longValue());
    c.boundary(VM1, 2);
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
    assertEquals(List.of(m4), c.host(VM2).copiesTo(VM4).stream().map(x -> x.message()).toList());
    assertEquals(m4, c.host(VM4).receiveLog(VM4).get(0).message());

    WriteLogSegment atT0 = Cluster.only(c.boundary(VM1, 1), WriteLogSegment.class).get(0);
    assertEquals("m3 goes to stable storage at T0", List.of(m3), atT0.entries().stream().map(e -> e.message()).toList());
    for (int vm : new int[] {VM2, VM3, VM4}) c.boundary(vm, 1);

    Message m5 = c.send(VM2, VM1);           // VM1 checkpoints at 2T0: m5 is never written to stable storage
    c.deliver(m5);
    Message m6 = c.send(VM3, VM4);           // VM4 (MI_3) does not checkpoint at 2T0: m6 is
    c.deliver(m6);
    assertTrue(Cluster.only(c.boundary(VM1, 2), WriteLogSegment.class).isEmpty());
    WriteLogSegment vm4At2 = Cluster.only(c.boundary(VM4, 2), WriteLogSegment.class).get(0);
    assertEquals(List.of(m6), vm4At2.entries().stream().map(e -> e.message()).toList());

    Message m7 = c.send(VM2, VM1);           // sent by VM2 before its boundary 2 ...
    c.boundary(VM2, 2);
    List<HostAction> late = c.deliver(m7);   // ... received by VM1 after its checkpoint 2: in transit, to stable storage
    assertEquals(m7, Cluster.only(late, WriteInTransit.class).get(0).entry().message());

    c.boundary(VM3, 2);
    c.boundary(VM2, 3);
    Message m8 = c.send(VM2, VM3);           // CSN 3 reaches VM3 before its boundary 3: forced C(3,3) first
    TakeCheckpoint forced = Cluster.only(c.deliver(m8), TakeCheckpoint.class).get(0);
    assertEquals(3, forced.record().index());
    assertTrue(forced.record().forced());
    assertFalse(Cluster.only(c.deliver(c.send(VM2, VM3)), TakeCheckpoint.class).size() > 0);
  }
}
