package org.vmqsc.protocol;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.Test;
import org.vmqsc.protocol.host.HostAction;
import org.vmqsc.protocol.host.HostRules;
import org.vmqsc.protocol.manager.LineKeeper;
import org.vmqsc.protocol.recovery.HostSnapshot;
import org.vmqsc.protocol.recovery.RecoveryPlan;
import org.vmqsc.protocol.recovery.RecoveryPlanner;
import org.vmqsc.protocol.recovery.SnapshotSurvivors;
import org.vmqsc.protocol.recovery.VmRestore;

/**
 * Causal logging, with the host rules of two hosts: h1 runs VMs 0 and 1, h2 runs VM 2. What h1's messages carry to
 * h2, and how the planner uses it when h1 fails: VM 0 comes back past its last stable state instead of VM 2
 * rolling back with it. (The simulator's oracle judges the same over many random runs.)
 */
public class CausalLoggingTest {
  private final GroupConfig config = new GroupConfig(1000, List.of(VmClass.SI, VmClass.SI, VmClass.SI));
  private final LineKeeper keeper = new LineKeeper(config);
  private HostRules h1;
  private HostRules h2;
  private long position;

  private void hosts(boolean carry) {
    h1 = new HostRules(config, carry);
    h2 = new HostRules(config, carry);
    for (int vm = 0; vm < 3; vm++) {
      HostAction.TakeCheckpoint c0 = (vm < 2 ? h1 : h2).start(vm);
      keeper.record(c0.record());
      keeper.markStable(vm, 0, 0);
    }
    keeper.advance().orElseThrow();
  }

  private Message send(HostRules host, int from, int to) {
    position++;
    return host.stamp(from, to, 16, 1000L * from + position, position).orElseThrow();
  }

  /** VM 0 receives from VM 2 (cross-host) and VM 1 (same host), then sends to VM 2 on h2. */
  private Message vm0HearsBothThenTellsVm2() {
    Message fromVm2 = send(h2, 2, 0);
    h1.onArrival(fromVm2, position);
    Message fromVm1 = send(h1, 1, 0);
    h1.onArrival(fromVm1, position);
    Message toVm2 = send(h1, 0, 2);
    h2.onCarried(h1.carryTo(toVm2));
    h2.onArrival(toVm2, position);
    return toVm2;
  }

  private HostSnapshot snapshotOfH2() {
    Map<Integer, List<CarriedReceipt>> carried = new HashMap<>();
    for (int vm : h2.vmsWithCarriedReceipts()) carried.put(vm, h2.carriedReceipts(vm));
    Map<Integer, List<org.vmqsc.protocol.host.SenderCopy>> copies = new HashMap<>();
    for (int vm = 0; vm < 3; vm++) if (!h2.copiesTo(vm).isEmpty()) copies.put(vm, h2.copiesTo(vm));
    return new HostSnapshot("h2", List.of(2), Map.of(2, h2.receivedFrom(2)), Map.of(2, h2.receiveLog(2)), copies,
        h2.carriesReceipts(), carried);
  }

  private RecoveryPlan h1Fails() {
    return RecoveryPlanner.planHostFailure(config, keeper, Set.of(0, 1),
        new SnapshotSurvivors(List.of(snapshotOfH2()), Set.of(0, 1)), Map.of());
  }

  private static VmRestore restoreOf(RecoveryPlan plan, int vm) {
    return plan.restores().stream().filter(r -> r.vm() == vm).findFirst().orElseThrow();
  }

  @Test public void aCrossHostMessageCarriesItsHostsReceiptsThatNoMessageCarriedOffYet() {
    hosts(true);
    Message toVm2 = vm0HearsBothThenTellsVm2();
    assertEquals("VM 0 had received two messages when it sent", 2, toVm2.senderReceived());
    List<CarriedReceipt> held = h2.carriedReceipts(0);
    assertEquals(List.of(1L, 2L), held.stream().map(c -> c.entry().rsn()).toList());
    assertEquals("the receipts say whom each message came from", List.of(2, 1),
        held.stream().map(c -> c.message().from()).toList());

    Message again = send(h1, 0, 2);
    assertEquals("nothing new to carry", List.of(), h1.carryTo(again));
    assertEquals("a same-host message carries nothing", List.of(), h1.carryTo(send(h1, 1, 0)));
  }

  @Test public void aHostThatDoesNotCarryReceiptsCarriesNothingAndStampsNoDependence() {
    hosts(false);
    Message toVm2 = vm0HearsBothThenTellsVm2();
    assertEquals(0, toVm2.senderReceived());
    assertEquals(List.of(), h2.carriedReceipts(0));
  }

  @Test public void heldReceiptsGoOnceTheLineHasPassedThem() {
    hosts(true);
    vm0HearsBothThenTellsVm2();
    h2.onLine(1);
    assertEquals(List.of(), h2.carriedReceipts(0));
  }

  @Test public void aFailedVmComesBackPastItsStableStateAndTheSurvivorThatHeardFromItRunsOn() {
    hosts(true);
    Message toVm2 = vm0HearsBothThenTellsVm2();
    RecoveryPlan plan = h1Fails();

    assertEquals(Set.of(0, 1), plan.rolledBack());
    VmRestore vm0 = restoreOf(plan, 0);
    assertEquals(0, vm0.lineState().index());
    assertEquals("its two receipts, taken again", List.of(1L, 2L), vm0.extension().stream().map(LogEntry::rsn).toList());
    assertEquals("what VM 2 holds of it, sent again", List.of(toVm2), vm0.resends());
    assertEquals(1, vm0.sentToAfterRecovery()[2]);
    VmRestore vm1 = restoreOf(plan, 1);
    assertEquals("VM 1's re-execution makes the message VM 0 takes again (it was kept on the failed host only)",
        1, vm1.resends().size());
    assertEquals(0, vm1.extension().size());
  }

  @Test public void withoutCarriedReceiptsTheSurvivorRollsBackAsAnOrphan() {
    hosts(false);
    vm0HearsBothThenTellsVm2();
    RecoveryPlan plan = h1Fails();
    assertEquals(Set.of(0, 1, 2), plan.rolledBack());
    assertFalse(restoreOf(plan, 0).isExtended());
  }

  @Test public void aMessageThatDependsOnMoreThanTheHeldReceiptsMakesItsReceiverAnOrphan() {
    hosts(true);
    vm0HearsBothThenTellsVm2();
    Message third = send(h1, 1, 0);
    h1.onArrival(third, position);
    Message dependsOnThree = send(h1, 0, 2);
    h1.carryTo(dependsOnThree); // the receipts it carries are lost on the way: only the message arrives
    h2.onArrival(dependsOnThree, position);

    RecoveryPlan plan = h1Fails();
    assertTrue("VM 2 received a send VM 0 made after a receipt no survivor holds", plan.rolledBack().contains(2));
  }

  @Test public void aReexecutionThatSendsSomethingElseIsRefused() {
    hosts(true);
    Message toVm2 = vm0HearsBothThenTellsVm2();
    HostRules h3 = new HostRules(config, true);
    BoundaryRecord c0 = keeper.recordAt(0, 0);
    h3.restorePastLine(0, 1, c0, List.of(), c0, List.of(toVm2));
    assertTrue(h3.resendsPending(0));
    assertThrows(IllegalStateException.class, () -> h3.stamp(0, 2, 16, toVm2.digest() + 1, 5));
  }
}
