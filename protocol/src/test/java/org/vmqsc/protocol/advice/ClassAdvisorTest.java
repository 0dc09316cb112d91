package org.vmqsc.protocol.advice;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import org.junit.Test;
import org.vmqsc.protocol.VmClass;

public class ClassAdvisorTest {

  @Test public void aVmReceivingHalfACheckpointPerPeriodStaysSi() {
    assertEquals(VmClass.SI, ClassAdvisor.propose(10_000_000, 5_000_000, 4).proposed());
    assertEquals(VmClass.SI, ClassAdvisor.propose(10_000_000, 50_000_000, 4).proposed());
  }

  @Test public void lighterVmsGetIntervalsOfSOverTwoR() {
    assertEquals(VmClass.mi(2), ClassAdvisor.propose(10_000_000, 4_999_999, 8).proposed());
    assertEquals(VmClass.mi(3), ClassAdvisor.propose(12_000_000, 2_000_000, 8).proposed());
    ClassAdvisor.ClassAdvice capped = ClassAdvisor.propose(10_000_000, 1_000_000, 4);
    assertEquals(VmClass.mi(4), capped.proposed());
    assertTrue(capped.reason(), capped.reason().contains("capped at 4"));
  }

  @Test public void aSilentVmGetsTheLongestInterval() {
    ClassAdvisor.ClassAdvice silent = ClassAdvisor.propose(10_000_000, 0, 6);
    assertEquals(VmClass.mi(6), silent.proposed());
    assertTrue(silent.reason(), silent.reason().contains("receives nothing"));
  }

  @Test public void badFiguresAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> ClassAdvisor.propose(1000, 10, 1));
    assertThrows(IllegalArgumentException.class, () -> ClassAdvisor.propose(-1, 10, 4));
    assertThrows(IllegalArgumentException.class, () -> ClassAdvisor.propose(1000, Double.NaN, 4));
  }

  @Test public void thePhasePutsTheCheckpointsRightAfterTheBursts() {
    // Boundaries 1..8; the VM receives 50 kB in the periods that end at 3 and 7, 1 kB in the others.
    long[] n = {1, 2, 3, 4, 5, 6, 7, 8};
    double[] received = {1_000, 1_000, 50_000, 1_000, 1_000, 1_000, 50_000, 1_000};
    assertEquals(3, ClassAdvisor.phase(4, 20_000, n, received));
    // MI_2: the bursts end at odd boundaries.
    assertEquals(1, ClassAdvisor.phase(2, 20_000, n, received));
    // The window need not start at 1: boundaries 9..12 with a burst ending at 10 (10 mod 4 = 2).
    assertEquals(2, ClassAdvisor.phase(4, 20_000, new long[] {9, 10, 11, 12}, new double[] {0, 90_000, 0, 0}));
  }

  @Test public void tiesGoToTheLowestPhase() {
    long[] n = {1, 2, 3, 4, 5, 6, 7, 8};
    assertEquals("steady traffic: every phase writes as much", 0,
        ClassAdvisor.phase(4, 20_000, n, new double[] {5, 5, 5, 5, 5, 5, 5, 5}));
    assertEquals("no traffic seen", 0, ClassAdvisor.phase(3, 20_000, new long[0], new double[0]));
    // Bursts ending at 2 and 3 as large: phases 2 and 3 tie, 2 wins.
    assertEquals(2, ClassAdvisor.phase(4, 20_000, new long[] {1, 2, 3, 4}, new double[] {0, 30_000, 30_000, 0}));
  }

  @Test public void aShortWindowWeighsTheExtraCheckpoint() {
    // Boundaries 1..5 under MI_4: phase 1 checkpoints at 1 and 5, the others once. With nothing received the
    // extra checkpoint is all that counts, so phase 1 loses to phase 0 and the tie between 0, 2, 3 goes to 0.
    long[] n = {1, 2, 3, 4, 5};
    assertEquals(0, ClassAdvisor.phase(4, 20_000, n, new double[5]));
    // Bursts ending at 1 and 5 worth more than a checkpoint each make phase 1 worth it after all.
    assertEquals(1, ClassAdvisor.phase(4, 20_000, n, new double[] {30_000, 0, 0, 0, 30_000}));
  }

  @Test public void phasesAreForMiOnly() {
    assertThrows(IllegalArgumentException.class, () -> ClassAdvisor.phase(1, 10, new long[0], new double[0]));
    assertThrows(IllegalArgumentException.class, () -> ClassAdvisor.phase(4, 10, new long[1], new double[2]));
  }
}
