package org.vmqsc.agent.node;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import java.util.List;
import java.util.Set;
import org.junit.Test;
import org.mockito.ArgumentCaptor;
import org.vmqsc.agent.log.MemoryMessageStore;
import org.vmqsc.agent.log.MessageLog;
import org.vmqsc.agent.node.NodeCluster.Checkpointed;
import org.vmqsc.agent.node.NodeCluster.Delivered;
import org.vmqsc.agent.node.NodeCluster.Dropped;
import org.vmqsc.agent.node.NodeCluster.Rebuilt;
import org.vmqsc.protocol.BoundaryRecord;
import org.vmqsc.protocol.Message;
import org.vmqsc.protocol.VmClass;
import org.vmqsc.protocol.host.HostAction.DropReason;
import org.vmqsc.protocol.recovery.RecoveryPlan;
import org.vmqsc.protocol.recovery.RecoveryPlanner;
import org.vmqsc.protocol.recovery.Replay;
import org.vmqsc.protocol.recovery.ReplaySource;
import org.vmqsc.protocol.recovery.VmRestore;

/** Live migration on the host runtime: VM0 moves from host 0 (where VM1 stays) to host 1; VM2 runs on host 2. */
public class MigrationTest {
  private final NodeCluster c = NodeCluster.of(List.of(VmClass.SI, VmClass.SI, VmClass.SI), new int[] {0, 0, 2}, 3);

  @Test public void theVmCheckpointsOnItsNewHostAfterwards() {
    c.migrate(0, 1, 0, 1, 2);
    assertFalse(c.host(0).runs(0));
    assertTrue(c.host(1).runs(0));
    List<Checkpointed> taken = NodeCluster.only(c.boundary(1, 1), Checkpointed.class);
    assertEquals(1, taken.size());
    assertEquals(0, taken.get(0).record().vm());
    assertTrue("the old host takes none", NodeCluster.only(c.boundary(0, 1), Checkpointed.class).stream()
        .noneMatch(x -> x.record().vm() == 0));
  }

  @Test public void aVmWithWritesOnTheirWayToStableStorageIsRefusedAndStays() {
    c.boundaryAll(1);                       // checkpoints taken, not yet stable
    MigrationRefusedException e = assertThrows(MigrationRefusedException.class, () -> c.migrate(0, 1));
    assertTrue(e.getMessage(), e.getMessage().contains("not yet on stable storage"));
    assertTrue(c.host(0).runs(0));
    c.flushAll();
    c.migrate(0, 1);
    assertTrue(c.host(1).runs(0));
  }

  @Test public void aFrameToTheOldHostIsDroppedThereAndResentFromTheSendersCopy() {
    Message m = c.send(2, 0);               // on the wire to host 0
    c.migrate(0, 1, 0, 1, 2);               // host 2 learns the placement: resends m from its copy
    assertEquals(Integer.valueOf(2), c.transmissions.get(m));
    List<NodeCluster.Effect> atOld = c.deliverAt(0, m);
    assertEquals(List.of(new Dropped(m, DropReason.MOVED)), NodeCluster.only(atOld, Dropped.class));
    List<Delivered> atNew = NodeCluster.only(c.deliver(m), Delivered.class);
    assertEquals(1, atNew.size());
    assertEquals("a second copy is a duplicate", List.of(new Dropped(m, DropReason.DUPLICATE)),
        NodeCluster.only(c.deliver(m), Dropped.class));
  }

  @Test public void aSameHostMessageInFlightIsResentFromTheCopyTheMigrationMade() {
    Message m = c.send(1, 0);               // same host, not delivered yet: no copy anywhere
    c.migrate(0, 1);                        // no host told yet
    assertEquals(List.of(new Dropped(m, DropReason.MOVED)), NodeCluster.only(c.deliverAt(0, m), Dropped.class));
    assertTrue(c.host(0).snapshot().copies().get(0).stream().anyMatch(x -> x.message().equals(m)));
    assertEquals(Integer.valueOf(1), c.transmissions.get(m));
    c.host(0).onPlacement(0);               // host 0 learns where VM0 runs: resends
    assertEquals(Integer.valueOf(2), c.transmissions.get(m));
    List<Delivered> delivered = NodeCluster.only(c.deliver(m), Delivered.class);
    assertEquals(1, delivered.size());
  }

  @Test public void theNewHostResendsItsOwnCopiesBeforeItsVmsSendSameHost() {
    // VM3 on host 1 sent to VM0 while VM0 ran on host 0; VM0 moves to host 1 with the frame still on its way
    // there. Host 1 resends its copy at once, so VM3's next (now same-host) message cannot overtake it.
    NodeCluster d = NodeCluster.of(List.of(VmClass.SI, VmClass.SI), new int[] {0, 1}, 2);
    Message first = d.send(1, 0);
    d.migrate(0, 1);                        // no host told the placement: host 1 resends by itself
    assertEquals(Integer.valueOf(2), d.transmissions.get(first));
    Message second = d.send(1, 0);
    assertEquals(List.of(new Dropped(first, DropReason.MOVED)), NodeCluster.only(d.deliverAt(0, first), Dropped.class));
    assertEquals(1, NodeCluster.only(d.deliver(first), Delivered.class).size());
    assertEquals(1, NodeCluster.only(d.deliver(second), Delivered.class).size());
    assertTrue(d.host(1).snapshot().copies().getOrDefault(0, List.of()).stream()
        .anyMatch(x -> x.message().equals(first)));
  }

  @Test public void theOldHostsFailureLosesNothingTheVmReceivedFromItsOldNeighbours() {
    // VM1 sent VM0 a same-host message after the line; then VM0 moved; then VM0's new host fails. The planner
    // must replay the message into VM0 from a copy on host 0, which the migration made.
    Message m = c.send(1, 0);
    c.deliver(m);
    c.migrate(0, 1, 0, 1, 2);
    RecoveryPlan plan = RecoveryPlanner.planHostFailure(c.config, c.keeper, Set.of(0), c.survivors(Set.of(0), 0, 2),
        c.stableInTransit);
    VmRestore vm0 = plan.restores().stream().filter(r -> r.vm() == 0).findFirst().orElseThrow();
    assertEquals(List.of(m), vm0.replays().stream().map(Replay::message).toList());
    assertEquals(ReplaySource.SENDER_COPY, vm0.replays().get(0).source());
    assertNotNull("host 0 keeps the payload", c.host(0).payloads(List.of(m)).get(m));
  }

  @Test public void theNewHostsCopiesServeWhenTheOldHostFails() {
    // VM0 sent VM1 a same-host message after the line, then moved; host 0 fails with VM1's log.
    Message m = c.send(0, 1);
    c.deliver(m);
    c.migrate(0, 1, 0, 1, 2);
    RecoveryPlan plan = RecoveryPlanner.planHostFailure(c.config, c.keeper, Set.of(1), c.survivors(Set.of(1), 1, 2),
        c.stableInTransit);
    assertEquals(Set.of(1), plan.rolledBack());
    VmRestore vm1 = plan.restores().get(0);
    assertEquals(List.of(m), vm1.replays().stream().map(Replay::message).toList());
    assertNotNull(c.host(1).payloads(List.of(m)).get(m));
  }

  @Test public void aVmFailureOnTheNewHostRestoresTheStableCheckpointItCameWith() {
    c.migrate(0, 1);
    Rebuilt r = c.failVm(0);
    assertEquals(0, r.checkpoint().index());
    assertTrue(r.location(), r.location().startsWith("stable:"));
    c.boundary(1, 1);
    c.flushAll();
    assertEquals("once a checkpoint is written here, that one", null, c.failVm(0).location());
  }

  @Test public void repeatedOrdersChangeNothing() {
    VmMigration first = c.host(0).emigrate(0, "host-1");
    assertSame(first, c.host(0).emigrate(0, "host-1"));
    c.host(1).immigrate(first);
    c.host(1).immigrate(first);
    assertTrue(c.host(1).runs(0));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> c.host(2).immigrate(new VmMigration("other", first.transfer(), first.payloads(), "x")));
    assertTrue(e.getMessage(), e.getMessage().contains("group other"));
    assertThrows(IllegalStateException.class, () -> c.host(2).emigrate(1, "host-1"));
  }

  /** A node whose ports are mocks: {@code guests} decides what the hypervisor can do. */
  private HostNode nodeWith(Guests guests) {
    return new HostNode("h", "group", c.config, new MessageLog(new MemoryMessageStore()), mock(Relay.class), guests,
        mock(LogWriter.class), mock(ManagerLink.class), mock(HostClock.class));
  }

  @Test public void aHypervisorThatCannotHandTheGuestOffLeavesTheVmWhereItWas() {
    Guests guests = mock(Guests.class);
    when(guests.running(0)).thenReturn(true);
    doThrow(new UnsupportedOperationException("no live migration here")).when(guests).handOff(eq(0), anyString());
    HostNode node = nodeWith(guests);
    node.start(0);
    ArgumentCaptor<BoundaryRecord> boot = ArgumentCaptor.forClass(BoundaryRecord.class);
    verify(guests).checkpoint(boot.capture());
    node.onCheckpointStaged(boot.getValue(), "host:h", 1, "d");
    node.onCheckpointStable(boot.getValue(), "stable:boot", 1, "d");
    assertThrows(UnsupportedOperationException.class, () -> node.emigrate(0, "elsewhere"));
    assertTrue(node.runs(0));
    assertFalse(node.hasEmigrated(0));
  }

  @Test public void aCheckpointThatWillNeverBeStagedNoLongerHoldsItsVmBack() {
    Guests guests = mock(Guests.class);
    when(guests.running(0)).thenReturn(true);
    HostNode node = nodeWith(guests);
    node.start(0);
    node.onBoundary(1);
    ArgumentCaptor<BoundaryRecord> taken = ArgumentCaptor.forClass(BoundaryRecord.class);
    verify(guests, times(2)).checkpoint(taken.capture());
    BoundaryRecord boot = taken.getAllValues().get(0);
    BoundaryRecord failed = taken.getAllValues().get(1);
    node.onCheckpointStaged(boot, "host:h", 1, "d");
    node.onCheckpointStable(boot, "stable:boot", 1, "d");
    assertThrows(MigrationRefusedException.class, () -> node.emigrate(0, "elsewhere"));
    node.onCheckpointAbandoned(failed);
    VmMigration m = node.emigrate(0, "elsewhere");
    assertEquals("it leaves with its latest stable checkpoint", "stable:boot", m.checkpointLocation());
    assertFalse(node.runs(0));
  }

  @Test public void aHypervisorThatCannotTakeTheGuestOverChangesNothing() {
    VmMigration m = c.host(0).emigrate(0, "h");
    Guests guests = mock(Guests.class);
    doThrow(new UnsupportedOperationException("no live migration here")).when(guests).takeOver(eq(0), any());
    HostNode node = nodeWith(guests);
    assertThrows(UnsupportedOperationException.class, () -> node.immigrate(m));
    assertFalse(node.runs(0));
    c.host(0).immigrate(m);                 // and the source can take it back
    assertTrue(c.host(0).runs(0));
  }
}
