package org.vmqsc.protocol;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.List;
import org.junit.Test;

public class VmClassTest {

  @Test public void parsesSiAndMiK() {
    assertEquals(VmClass.SI, VmClass.parse("SI"));
    assertEquals(VmClass.mi(3), VmClass.parse("mi_3"));
    assertEquals("MI_4", VmClass.parse("MI4").toString());
  }

  @Test public void rejectsMi1Mi0AndGarbageWithAClearMessage() {
    for (String bad : List.of("MI_1", "MI_0", "MI_-2", "XX", "", "MI_")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VmClass.parse(bad));
      assertTrue(e.getMessage(), e.getMessage().contains("MI_k") || e.getMessage().contains("k >= 2"));
    }
  }

  @Test public void dueAtMultiplesOfItsPeriod() {
    VmClass mi3 = VmClass.mi(3);
    assertTrue(mi3.isDueAt(0));
    assertFalse(mi3.isDueAt(2));
    assertTrue(mi3.isDueAt(6));
    assertTrue(VmClass.SI.isDueAt(5));
  }

  @Test public void aPhaseShiftsTheDueBoundaries() {
    VmClass shifted = VmClass.parse("mi_3@2");
    assertEquals(VmClass.mi(3, 2), shifted);
    assertEquals("MI_3@2", shifted.toString());
    assertEquals("MI_3", VmClass.parse("MI_3@0").toString());
    assertFalse(shifted.isDueAt(0));
    assertTrue(shifted.isDueAt(2));
    assertFalse(shifted.isDueAt(3));
    assertTrue(shifted.isDueAt(5));
    for (String bad : List.of("MI_3@3", "MI_3@-1", "MI_2@x", "MI_3@")) {
      IllegalArgumentException e = assertThrows(bad, IllegalArgumentException.class, () -> VmClass.parse(bad));
      assertTrue(e.getMessage(), e.getMessage().contains("the phase of MI_"));
      assertTrue(e.getMessage(), e.getMessage().contains("n mod "));
    }
    assertTrue(assertThrows(IllegalArgumentException.class, () -> VmClass.parse("SI@1")).getMessage()
        .contains("SI has no phase"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> VmClass.parse("MI_1@0")).getMessage()
        .contains("MI_k needs k >= 2"));
  }

  @Test public void groupRejectsNonPositiveBasePeriod() {
    assertThrows(IllegalArgumentException.class, () -> new GroupConfig(0, List.of(VmClass.SI)));
    assertThrows(IllegalArgumentException.class, () -> new GroupConfig(-5, List.of(VmClass.SI)));
  }
}
