package org.vmqsc.server.service.advice;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.Test;
import org.vmqsc.protocol.BoundaryKind;
import org.vmqsc.server.service.BoundaryReport;
import org.vmqsc.server.service.HostReport;
import org.vmqsc.server.service.ServiceException;
import org.vmqsc.server.service.Views.GroupView;
import org.vmqsc.server.service.advice.TrafficAdvisor.VmClassAdvice;
import org.vmqsc.server.service.memory.InMemoryProtectionService;

/** Traffic from recorded boundaries, and the classes proposed from it. */
public class TrafficAdvisorTest {

  private final InMemoryProtectionService service = new InMemoryProtectionService();

  /** Three VMs over 4 periods: "heavy" (SI) receives 100 messages a period, "light" (MI_2) 2, "quiet" (SI) none. */
  private String group() {
    GroupView g = service.createGroup("g", 1000, null, null);
    service.addVm(g.uuid(), "heavy", "SI", "h1");
    service.addVm(g.uuid(), "light", "MI_2", "h1");
    service.addVm(g.uuid(), "quiet", "SI", "h1");
    for (long i = 0; i <= 4; i++) {
      // A first checkpoint is a full pass (1 MB); later ones store what changed (100 kB).
      long size = i == 0 ? 1_000_000 : 100_000;
      report(g.uuid(), boundary("heavy", BoundaryKind.CHECKPOINT, i, size, 100 * i));
      // light: checkpoints at even indexes, segments at odd ones logging its 2 messages of 1 kB each.
      report(g.uuid(), i % 2 == 0 ? boundary("light", BoundaryKind.CHECKPOINT, i, size, 2 * i)
          : boundary("light", BoundaryKind.LOG_SEGMENT, i, 2_000, 2 * i));
      report(g.uuid(), boundary("quiet", BoundaryKind.CHECKPOINT, i, size, 0));
    }
    return g.uuid();
  }

  @Test public void trafficComesFromTheCountersAndTheIncrementalCheckpoints() {
    String g = group();
    Map<String, VmTraffic> t = VmTraffic.of(service.listCheckpoints(g, true, page()).items(),
        service.listLogSegments(g, true, page()).items());
    VmTraffic heavy = t.get("heavy");
    assertEquals(4, heavy.periods());
    assertEquals(400, heavy.messagesReceived());
    assertEquals(Long.valueOf(100_000), heavy.checkpointBytes());
    assertEquals(0, heavy.loggedMessages());
    VmTraffic light = t.get("light");
    assertEquals(4_000, light.loggedBytes());
    assertEquals(4, light.loggedMessages());
  }

  @Test public void aVmsFirstCheckpointOnAnotherHostIsAFullPassNotAnIncrement() {
    GroupView g = service.createGroup("moved", 1000, null, null);
    service.addVm(g.uuid(), "a", "SI", "h1");
    service.addVm(g.uuid(), "b", "SI", "h1");
    service.addVm(g.uuid(), "c", "SI", "h1");
    long[] sizes = {1_000_000, 100_000, 1_000_000, 300_000}; // 2 taken on h2 after a move
    for (int i = 0; i < sizes.length; i++) {
      BoundaryReport r = boundary("a", BoundaryKind.CHECKPOINT, i, sizes[i], 0);
      service.report(new HostReport(i < 2 ? "h1" : "h2", g.uuid(), List.of(r), List.of()));
    }
    VmTraffic a = VmTraffic.of(service.listCheckpoints(g.uuid(), true, page()).items(), List.of()).get("a");
    assertEquals(Long.valueOf(200_000), a.checkpointBytes());
  }

  @Test public void classesFollowTheTrafficSizedByTheLoggedMessages() {
    List<VmClassAdvice> advice = TrafficAdvisor.advise(service, group(), 4);
    // heavy: 100 messages x 1 kB = 100 kB a period, a whole incremental checkpoint: SI.
    assertEquals("SI", advice.get(0).proposedClass());
    assertEquals(100_000, advice.get(0).receivedBytesPerPeriod(), 1e-6);
    assertTrue(advice.get(0).reason(), advice.get(0).reason().contains("the group's logs"));
    // light: 2 kB a period; 100 kB / (2 x 2 kB) = 25, capped at 4.
    assertEquals("MI_4", advice.get(1).proposedClass());
    assertTrue(advice.get(1).reason(), advice.get(1).reason().contains("its own log"));
    assertEquals("MI_4", advice.get(2).proposedClass());
    assertEquals("MI_2", TrafficAdvisor.advise(service, service.listGroups(page()).items().get(0).uuid(), 2)
        .get(1).proposedClass());
  }

  @Test public void withoutLoggedMessagesOnlySilentVmsGetAProposal() {
    GroupView g = service.createGroup("si", 1000, null, null);
    service.addVm(g.uuid(), "a", "SI", "h1");
    service.addVm(g.uuid(), "b", "SI", "h1");
    service.addVm(g.uuid(), "c", "SI", "h1");
    for (long i = 0; i <= 2; i++) {
      report(g.uuid(), boundary("a", BoundaryKind.CHECKPOINT, i, 1000, 5 * i));
      report(g.uuid(), boundary("b", BoundaryKind.CHECKPOINT, i, 1000, 0));
    }
    List<VmClassAdvice> advice = TrafficAdvisor.advise(service, g.uuid(), 4);
    assertNull(advice.get(0).proposedClass());
    assertTrue(advice.get(0).reason(), advice.get(0).reason().contains("size is unknown"));
    assertEquals("MI_4", advice.get(1).proposedClass());
    assertNull("c reported nothing", advice.get(2).proposedClass());
    assertTrue(advice.get(2).reason(), advice.get(2).reason().startsWith("no traffic recorded yet"));
  }

  /**
   * Over boundaries 0..8, "bursty" receives 40 messages of 1 kB in the periods that end at 2 and 6 and nothing in
   * the others: 10 kB a period on average, so MI_4, and checkpointing at 2 and 6 spares the bursts' log: MI_4@2.
   * "steady" receives 1 message every period: every phase writes as much, so the lowest, MI_4.
   */
  @Test public void anMiProposalCarriesThePhaseRightAfterTheBursts() {
    GroupView g = burstyGroup("bursts", 2);
    List<VmClassAdvice> advice = TrafficAdvisor.advise(service, g.uuid(), 4);
    assertEquals("MI_4@2", advice.get(0).proposedClass());
    assertTrue(advice.get(0).reason(), advice.get(0).reason().contains("phase 2"));
    assertEquals(10_000, advice.get(0).receivedBytesPerPeriod(), 1e-6);
    assertEquals("ties go to the lowest phase", "MI_4", advice.get(1).proposedClass());
    assertEquals("nothing received: no phase to weigh", "MI_4", advice.get(2).proposedClass());
    // MI_2: the bursts end at even boundaries, phase 0.
    assertEquals("MI_2", TrafficAdvisor.advise(service, g.uuid(), 2).get(0).proposedClass());
    VmTraffic bursty = VmTraffic.of(service.listCheckpoints(g.uuid(), true, page()).items(),
        service.listLogSegments(g.uuid(), true, page()).items()).get("bursty");
    assertEquals(java.util.Map.of(1L, 0L, 2L, 40L, 3L, 0L, 4L, 0L, 5L, 0L, 6L, 40L, 7L, 0L, 8L, 0L),
        bursty.receivedByBoundary());
  }

  @Test public void burstsAtOddBoundariesGiveAnOddPhase() {
    GroupView g = burstyGroup("odd", 3);
    assertEquals("MI_4@3", TrafficAdvisor.advise(service, g.uuid(), 4).get(0).proposedClass());
    assertEquals("MI_2@1", TrafficAdvisor.advise(service, g.uuid(), 2).get(0).proposedClass());
  }
  /**
   * Boundaries 0..8 of "bursty" (SI), which receives 40 messages of 1 kB in the periods ending at boundaries n with
   * n mod 4 = {@code burstAt}; "steady" (MI_2), 1 message a period, logged (1 kB) at odd boundaries, which sizes the
   * group's messages; "quiet" (SI), nothing.
   */
  private GroupView burstyGroup(String name, int burstAt) {
    GroupView g = service.createGroup(name, 1000, null, null);
    service.addVm(g.uuid(), "bursty", "SI", "h1");
    service.addVm(g.uuid(), "steady", "MI_2", "h1");
    service.addVm(g.uuid(), "quiet", "SI", "h1");
    long burstyReceived = 0;
    for (long i = 0; i <= 8; i++) {
      long size = i == 0 ? 1_000_000 : 100_000;
      if (i % 4 == burstAt) burstyReceived += 40;
      report(g.uuid(), boundary("bursty", BoundaryKind.CHECKPOINT, i, size, burstyReceived));
      report(g.uuid(), i % 2 == 0 ? boundary("steady", BoundaryKind.CHECKPOINT, i, size, i)
          : boundary("steady", BoundaryKind.LOG_SEGMENT, i, 1_000, i));
      report(g.uuid(), boundary("quiet", BoundaryKind.CHECKPOINT, i, size, 0));
    }
    return g;
  }


  @Test(expected = ServiceException.class) public void aMaxKBelowTwoIsRefused() {
    TrafficAdvisor.advise(service, group(), 1);
  }

  private void report(String group, BoundaryReport r) {
    service.report(new HostReport("h1", group, List.of(r), List.of()));
  }

  private static BoundaryReport boundary(String vm, BoundaryKind kind, long index, long size, long received) {
    return new BoundaryReport(vm, kind, index, 0, false, true, size, "stable/" + vm + "/" + index, "d" + index,
        index, received, new long[3], new long[3]);
  }

  private static org.vmqsc.server.service.PageRequest page() {
    return org.vmqsc.server.service.PageRequest.first(1000);
  }
}
