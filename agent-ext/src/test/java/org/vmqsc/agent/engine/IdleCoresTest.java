package org.vmqsc.agent.engine;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;

import org.junit.Test;

public class IdleCoresTest {

  @Test public void readsTheTasksRunnableNowFromLoadavg() {
    assertEquals(Integer.valueOf(1), IdleCores.parseRunnable("0.32 0.69 0.49 1/104 25536\n"));
    assertEquals(Integer.valueOf(17), IdleCores.parseRunnable("4.00 3.10 2.00 17/2048 99"));
  }

  @Test public void aLineItCannotReadSaysNothing() {
    assertNull(IdleCores.parseRunnable(""));
    assertNull(IdleCores.parseRunnable("0.32 0.69 0.49"));
    assertNull(IdleCores.parseRunnable("0.32 0.69 0.49 x/104 1"));
    assertNull(IdleCores.parseRunnable("0.32 0.69 0.49 /104 1"));
    assertNull(IdleCores.parseRunnable("0.32 0.69 0.49 0/104 1"));  // the reader itself runs: never 0
  }
}
