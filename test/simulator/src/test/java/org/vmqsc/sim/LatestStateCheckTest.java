package org.vmqsc.sim;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.Test;
import org.vmqsc.agent.guest.PwdGuest;

/** The brute-force judge on a hand-made history: it rejects a plan that is not the latest, or not consistent. */
public class LatestStateCheckTest {

  /**
   * Two VMs, line 0. VM 0 (failed) has stable states at 0, 1 and 2; at 1 and 2 it has sent VM 1 one message, which
   * VM 1 (running) received, and which is on stable storage. So VM 0 at 2 with VM 1 running is good.
   */
  private static final class Truth implements LatestStateCheck.Truth {
    final Map<Long, PwdGuest> vm0 = new HashMap<>();
    final Map<Long, PwdGuest> vm1 = new HashMap<>();
    boolean stablyLogged = true;

    Truth() {
      vm0.put(0L, PwdGuest.of(0, 10, 0, new long[] {0, 0}, new long[] {0, 0}));
      vm0.put(1L, PwdGuest.of(0, 11, 1, new long[] {0, 1}, new long[] {0, 0}));
      vm0.put(2L, PwdGuest.of(0, 12, 2, new long[] {0, 1}, new long[] {0, 0}));
      vm1.put(0L, PwdGuest.of(1, 20, 0, new long[] {0, 0}, new long[] {0, 0}));
    }

    @Override public List<Long> stableBoundaries(int vm, long line) {
      return new ArrayList<>((vm == 0 ? vm0 : vm1).keySet().stream().sorted((a, b) -> Long.compare(b, a)).toList());
    }

    @Override public PwdGuest stateAt(int vm, long index) {
      return (vm == 0 ? vm0 : vm1).get(index);
    }

    @Override public boolean held(int from, int to, long seq) {
      return stablyLogged;
    }

    @Override public boolean stablyHeld(int from, int to, long seq) {
      return stablyLogged;
    }
  }

  private static List<String> judge(Truth truth, long vm0At) {
    List<String> found = new ArrayList<>();
    PwdGuest running1 = PwdGuest.of(1, 21, 5, new long[] {0, 0}, new long[] {1, 0});
    PwdGuest[] current = {null, running1};
    PwdGuest[] lastKnown = {truth.vm0.get(2L), running1};
    boolean ran = new LatestStateCheck(2, truth, found::add).check(Set.of(0), List.of(1), current, lastKnown, 0,
        Map.of(0, vm0At), Map.of());
    assertTrue(ran);
    return found;
  }

  @Test public void theLatestGoodStatePasses() {
    assertEquals(List.of(), judge(new Truth(), 2));
  }

  @Test public void anEarlierOneIsCaught() {
    List<String> found = judge(new Truth(), 1);
    assertEquals(found.toString(), 1, found.size());
    assertTrue(found.get(0), found.get(0).startsWith("a later consistent recoverable state exists: {0: 2, 1: running}"));
  }

  @Test public void anInconsistentOneIsCaught() {
    // At 0 VM 0 has not sent what VM 1, left running, received: an orphan.
    List<String> found = judge(new Truth(), 0);
    assertTrue(found.toString(), found.get(0).startsWith("the plan's recovered state {0: 0, 1: running} is not"));
  }

  @Test public void aMessageOnlyAVolatileLogHeldMakesTheFailedSendersLaterStatesBad() {
    Truth truth = new Truth();
    truth.stablyLogged = false;
    // The message is held nowhere durable: VM 0 may not keep having sent it, so only the line is good (VM 1 back
    // to 0 as well), and a plan that keeps VM 0 at 2 is rejected.
    List<String> found = judge(truth, 2);
    assertTrue(found.toString(), found.get(0).startsWith("the plan's recovered state {0: 2, 1: running} is not"));
  }

  /**
   * Causal logging: past its stable state 2, VM 0 took VM 1's messages #1 and #2 (both held by VM 1's copies); a
   * live host holds the first receipt, none the second. So VM 0 can be rebuilt to just before its second receipt.
   */
  private static final class CarriedTruth implements LatestStateCheck.Truth {
    final Truth boundaries = new Truth();
    final PwdGuest afterOne = PwdGuest.of(0, 13, 3, new long[] {0, 1}, new long[] {0, 1});
    final PwdGuest afterTwo = PwdGuest.of(0, 14, 4, new long[] {0, 1}, new long[] {0, 2});
    boolean copyOfFirst = true;

    @Override public List<Long> stableBoundaries(int vm, long line) { return boundaries.stableBoundaries(vm, line); }
    @Override public PwdGuest stateAt(int vm, long index) { return boundaries.stateAt(vm, index); }
    @Override public boolean held(int from, int to, long seq) { return from != 1 || seq != 1 || copyOfFirst; }
    @Override public boolean stablyHeld(int from, int to, long seq) { return true; }
    @Override public boolean rebuildsPastBoundaries() { return true; }

    @Override public List<LatestStateCheck.Extended> extendedStates(int vm, long index, PwdGuest failedAs) {
      if (vm != 0 || index != 2) return List.of();
      return List.of(new LatestStateCheck.Extended(boundaries.vm0.get(2L), List.of()), extendedByOne());
    }

    LatestStateCheck.Extended extendedByOne() {
      return new LatestStateCheck.Extended(afterOne, List.of(new LatestStateCheck.Taken(1, 1)));
    }
  }

  private static List<String> judgeExtended(CarriedTruth truth, Map<Integer, LatestStateCheck.Extended> extent) {
    List<String> found = new ArrayList<>();
    PwdGuest running1 = PwdGuest.of(1, 21, 5, new long[] {2, 0}, new long[] {1, 0});
    boolean ran = new LatestStateCheck(2, truth, found::add).check(Set.of(0), List.of(1),
        new PwdGuest[] {null, running1}, new PwdGuest[] {truth.afterTwo, running1}, 0, Map.of(0, 2L), extent);
    assertTrue(ran);
    return found;
  }

  @Test public void aStateRebuiltPastTheBoundaryIsLaterThanTheBoundary() {
    List<String> found = judgeExtended(new CarriedTruth(), Map.of());
    assertEquals(found.toString(), 1, found.size());
    assertTrue(found.get(0), found.get(0).startsWith("a later consistent recoverable state exists: {0: 2+1 receipts"));
  }

  @Test public void theFurthestRebuildableStatePasses() {
    CarriedTruth truth = new CarriedTruth();
    assertEquals(List.of(), judgeExtended(truth, Map.of(0, truth.extendedByOne())));
  }

  @Test public void aReceiptWhoseMessageNoOneHoldsCannotBeTakenAgain() {
    CarriedTruth truth = new CarriedTruth();
    truth.copyOfFirst = false;
    List<String> found = judgeExtended(truth, Map.of(0, truth.extendedByOne()));
    assertTrue(found.toString(), found.get(0).contains("takes #1 from VM 1 again, but no log holds it"));
  }
}
