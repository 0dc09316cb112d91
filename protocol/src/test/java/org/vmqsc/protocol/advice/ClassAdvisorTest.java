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
}
