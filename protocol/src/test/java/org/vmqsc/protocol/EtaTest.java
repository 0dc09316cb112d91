package org.vmqsc.protocol;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import org.junit.Test;

public class EtaTest {

  @Test public void thePapersRatiosGiveOneSixth() {
    // a1:a2 = 2:1, b1:b2 = 2:1, a2:b2 = 2:1
    assertEquals(1.0 / 6, Eta.paper(4, 2, 2, 1), 1e-12);
    assertEquals(1.0 / 6, Eta.paper(40, 20, 20, 10), 1e-12);
  }

  @Test public void generalFormIsTheMiShareTimesKMinusOneOverK() {
    // Half the traffic to MI_3 VMs: 0.5 * 2/3.
    assertEquals(1.0 / 3, Eta.general(new double[] {5, 5}, new int[] {1, 3}), 1e-12);
    assertEquals(0, Eta.general(new double[] {5}, new int[] {1}), 0);
    assertThrows(IllegalArgumentException.class, () -> Eta.general(new double[] {0}, new int[] {2}));
  }
}
