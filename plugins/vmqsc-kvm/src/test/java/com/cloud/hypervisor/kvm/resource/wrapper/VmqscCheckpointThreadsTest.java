package com.cloud.hypervisor.kvm.resource.wrapper;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.Test;
import org.vmqsc.agent.store.CheckpointKey;
import org.vmqsc.agent.wire.WireMessages.GroupRef;
import org.vmqsc.agent.wire.WireMessages.Report;
import org.vmqsc.agent.wire.WireMessages.Reports;
import org.vmqsc.agent.wire.WireMessages.RestoreOrder;
import org.vmqsc.plugin.command.FenceHostCommand;
import org.vmqsc.plugin.command.RestoreVmCommand;
import org.vmqsc.plugin.command.VmqscAnswer;
import org.vmqsc.protocol.BoundaryRecord;
import org.vmqsc.protocol.recovery.VmRestore;

/**
 * Checkpoints run on the host's checkpoint threads, not on the command that passed their boundary: a tick answers
 * while a guest is still being captured, and what the capture comes to reaches the manager with a later tick, if
 * the VM is still the one it captured. Host a's driver holds or fails captures on demand.
 */
public class VmqscCheckpointThreadsTest extends KvmHostsInOneJvm {

  @Test
  public void aTickAnswersWhileACheckpointIsCapturedAndItsReportComesWithALaterTick() throws Exception {
    bootBothOnA();
    tickUntilStable(a, 0, 2);
    HeldOrFailingDriver.Hold held = a.faults.holdNextCheckpoint(VM0);
    clock.advance(1000); // boundary 1: both VMs' checkpoints start
    tickAnswering(a);
    held.awaitEntered();
    // VM 1's checkpoint does not wait for VM 0's: it is stable while VM 0's is still in its capture.
    List<Report> whileHeld = tickUntil(a, seen -> hasReport(seen, 1, 0, 1, true), "VM 1 stable at 1");
    clock.advance(1000); // boundary 2: VM 0's next checkpoint waits behind the one held
    whileHeld.addAll(tickAnswering(a).batch());
    whileHeld.addAll(tickUntil(a, seen -> hasReport(seen, 1, 0, 2, true), "VM 1 stable at 2"));
    assertFalse("nothing of VM 0 while its capture is held: " + whileHeld,
        whileHeld.stream().anyMatch(r -> r.boundary() != null && r.boundary().vm() == 0 && r.boundary().index() > 0));

    held.release();
    List<Report> after = tickUntil(a, seen -> hasReport(seen, 0, 0, 1, true) && hasReport(seen, 0, 0, 2, true),
        "VM 0 stable at 1 and 2");
    int stagedAtOne = indexOf(after, 0, 1, false);
    assertTrue("staged, then stable: " + after, 0 <= stagedAtOne && stagedAtOne < indexOf(after, 0, 1, true));
    assertTrue("in the order taken: " + after, stagedAtOne < indexOf(after, 0, 2, false));
    assertFalse("two captures of one guest at once", a.faults.overlapped());
    assertEquals(0, a.agent.failedCheckpoints());
  }

  @Test
  public void aFailedCheckpointIsCountedAndNeverReportedAndTheTickStillAnswers() throws Exception {
    bootBothOnA();
    tickUntilStable(a, 0, 2);
    a.faults.failCheckpoints(VM0, "no space left on device");
    clock.advance(1000);
    List<Report> seen = new ArrayList<>(tickAnswering(a).batch());
    seen.addAll(tickUntil(a, s -> a.agent.failedCheckpoints() == 1 && hasReport(s, 1, 0, 1, true),
        "VM 0's checkpoint at 1 failed, VM 1's stable"));
    assertTrue(a.agent.awaitCheckpoints(Duration.ofSeconds(30)));
    seen.addAll(tick(a).batch());
    assertFalse("the failed checkpoint is not reported: " + seen, seen.stream()
        .anyMatch(r -> r.boundary() != null && r.boundary().vm() == 0 && r.boundary().index() == 1));
    assertEquals(1, a.agent.failedCheckpoints());

    a.faults.failCheckpoints(VM0, null); // the disk has room again: the next boundary's checkpoint is taken
    clock.advance(1000);
    tickUntilStable(a, 2, 2);
    assertEquals(1, a.agent.failedCheckpoints());
  }

  /**
   * The recovery restores VM 0 in place, under incarnation 1, while its checkpoint at 2 (incarnation 0) is still in
   * its capture: the restore waits for it and the driver never runs both at once; that checkpoint, of a guest the
   * restore replaced, never reaches the manager.
   */
  @Test
  public void aRestoreWaitsForItsVmsCheckpointInFlightWhoseResultIsNeverReported() throws Exception {
    bootBothOnA();
    clock.advance(1000);
    BoundaryRecord vm0AtOne = tickUntilStable(a, 1, 2).stream().map(Report::boundary)
        .filter(r -> r != null && r.vm() == 0 && r.index() == 1).findFirst().orElseThrow();
    byte[] memoryAtOne = a.driver.guest(VM0).memoryForTest();
    a.driver.guest(VM0).rewrite(0, 8);
    HeldOrFailingDriver.Hold held = a.faults.holdNextCheckpoint(VM0);
    clock.advance(1000); // boundary 2: VM 0's checkpoint (incarnation 0) is held in its capture
    tickAnswering(a);
    held.awaitEntered();

    VmRestore restore = new VmRestore(0, 1, vm0AtOne, List.of(), vm0AtOne, List.of());
    RestoreVmCommand order = new RestoreVmCommand(GROUP,
        json(new RestoreOrder(GROUP, restore, VM0 + "/" + GROUP + "-0-1", List.of())));
    AtomicReference<VmqscAnswer> answer = new AtomicReference<>();
    Thread restoring = new Thread(() -> answer.set(a.run(new VmqscRestoreVmCommandWrapper(), order)), "restore");
    restoring.start();
    awaitParked(restoring);
    assertTrue("the restore waits for the capture", restoring.isAlive());
    // It waits off the host agent's lock: the host's ticks are answered meanwhile.
    CompletableFuture<Reports> tickMeanwhile = CompletableFuture.supplyAsync(() -> tick(a));
    assertEquals(GROUP, tickMeanwhile.get(20, TimeUnit.SECONDS).group());
    assertTrue("the restore still waits for the capture", restoring.isAlive());
    held.release();
    restoring.join(TimeUnit.SECONDS.toMillis(30));
    assertFalse(restoring.isAlive());
    assertTrue(answer.get().getDetails(), answer.get().getResult());
    assertArrayEquals(memoryAtOne, a.driver.guest(VM0).memoryForTest());

    List<Report> after = tickUntil(a, seen -> a.agent.droppedCheckpoints() == 1 && hasReport(seen, 0, 1, 2, true),
        "the held checkpoint dropped, the restored VM's checkpoint at 2 stable");
    assertFalse("the checkpoint of incarnation 0 is never reported: " + after, after.stream()
        .anyMatch(r -> r.boundary() != null && r.boundary().vm() == 0 && r.boundary().incarnation() == 0
            && r.boundary().index() == 2));
    assertFalse("a restore while the guest was being captured", a.faults.overlapped());
    assertEquals(0, a.agent.failedCheckpoints());
  }

  /**
   * Host a is fenced while both VMs' checkpoints are in their capture, and the manager deploys the group there
   * again, without VMs (the host rejoined empty): what the captures come to reaches neither node.
   */
  @Test
  public void aFenceWithCheckpointsInFlightLeavesNothingReported() throws Exception {
    bootBothOnA();
    tickUntilStable(a, 0, 2);
    HeldOrFailingDriver.Hold vm0 = a.faults.holdNextCheckpoint(VM0);
    HeldOrFailingDriver.Hold vm1 = a.faults.holdNextCheckpoint(VM1);
    clock.advance(1000);
    tickAnswering(a);
    vm0.awaitEntered();
    vm1.awaitEntered();

    assertTrue(a.run(new VmqscFenceHostCommandWrapper(), new FenceHostCommand("", json(new GroupRef(""))))
        .getResult());
    assertTrue(a.run(new VmqscDeployGroupCommandWrapper(), deploy("host-a", List.of())).getResult());
    vm0.release();
    vm1.release();
    assertTrue(a.agent.awaitCheckpoints(Duration.ofSeconds(30)));
    List<Report> afterFence = new ArrayList<>(tick(a).batch());
    assertEquals("both results dropped", 2, a.agent.droppedCheckpoints());
    // The checkpoints were stored before they were dropped, so the flusher copies them; that says nothing either.
    assertTrue(a.host.flusher.awaitStable(new CheckpointKey(VM0, GROUP + "-0-1"), 30_000));
    assertTrue(a.host.flusher.awaitStable(new CheckpointKey(VM1, GROUP + "-0-1"), 30_000));
    afterFence.addAll(tick(a).batch());
    assertEquals(List.of(), afterFence);
  }

  /** A tick that must answer while captures are under way (bounded: a tick that waited for them fails here). */
  private Reports tickAnswering(Host host) throws Exception {
    return CompletableFuture.supplyAsync(() -> tick(host)).get(30, TimeUnit.SECONDS);
  }

  /** Waits (bounded) until {@code t} parks or ends: the restore waiting for the capture parks. */
  private static void awaitParked(Thread t) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      Thread.State s = t.getState();
      if (s == Thread.State.TIMED_WAITING || s == Thread.State.WAITING || s == Thread.State.TERMINATED) return;
      Thread.onSpinWait();
    }
    throw new AssertionError(t.getName() + " neither parked nor ended: " + t.getState());
  }

  private static boolean hasReport(List<Report> seen, int vm, int incarnation, long index, boolean stable) {
    return indexOf(seen, vm, incarnation, index, stable) >= 0;
  }

  private static int indexOf(List<Report> seen, int vm, long index, boolean stable) {
    return indexOf(seen, vm, 0, index, stable);
  }

  private static int indexOf(List<Report> seen, int vm, int incarnation, long index, boolean stable) {
    for (int i = 0; i < seen.size(); i++) {
      BoundaryRecord b = seen.get(i).boundary();
      if (b != null && b.vm() == vm && b.incarnation() == incarnation && b.index() == index
          && seen.get(i).stable() == stable) {
        return i;
      }
    }
    return -1;
  }
}
