package org.vmqsc.agent.sim;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.util.Arrays;
import org.junit.After;
import org.junit.Test;

/** A restore fills a new guest from the store and swaps it in only when the whole image was written. */
public class SimulatorDriverRestoreTest {

  private final SimulatorDriver driver = new SimulatorDriver();

  @After public void close() {
    driver.close();
  }

  @Test public void aWholeImageReplacesTheRunningGuest() throws IOException {
    SimulatedGuest old = driver.start("vm", 2, 1.0, 7);
    byte[] image = new byte[2 * SimulatedGuest.PAGE_BYTES];
    Arrays.fill(image, (byte) 5);

    SimulatedGuest restored = driver.restore("vm", 2, memory -> memory.write(image));

    assertSame(restored, driver.guest("vm"));
    assertArrayEquals(image, restored.memoryForTest());
    assertTrue("the old guest was not replaced", old != restored);
  }

  @Test public void aFillThatFailsHalfWayLeavesTheRunningGuestAsItWas() throws IOException {
    SimulatedGuest old = driver.start("vm", 2, 1.0, 7);
    byte[] before = old.memoryForTest();

    try {
      driver.restore("vm", 2, memory -> {
        memory.write(new byte[SimulatedGuest.PAGE_BYTES]);
        throw new IOException("chunk 1 is corrupt");
      });
      fail("a failed fill was taken");
    } catch (IOException expected) {
      assertEquals("chunk 1 is corrupt", expected.getMessage());
    }

    assertSame(old, driver.guest("vm"));
    assertArrayEquals(before, old.memoryForTest());
  }

  @Test public void anImageLargerThanTheGuestIsRefused() throws IOException {
    try {
      driver.restore("vm", 1, memory -> memory.write(new byte[SimulatedGuest.PAGE_BYTES + 1]));
      fail("an image larger than the memory was taken");
    } catch (IOException expected) {
      assertTrue(expected.getMessage(), expected.getMessage().contains("larger than the 4096 bytes"));
    }
  }
}
