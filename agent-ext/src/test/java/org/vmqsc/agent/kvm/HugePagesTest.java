package org.vmqsc.agent.kvm;

import static org.junit.Assert.assertEquals;

import java.util.List;
import org.junit.Test;

public class HugePagesTest {

  @Test public void freeHugePagesTimesTheirSize() {
    assertEquals(1024, HugePages.freeMiB(List.of("MemTotal:       24683520 kB", "HugePages_Total:     768",
        "HugePages_Free:      512", "HugePages_Rsvd:        0", "Hugepagesize:       2048 kB")));
    assertEquals(2048, HugePages.freeMiB(List.of("HugePages_Free:        2", "Hugepagesize:    1048576 kB")));
  }

  @Test public void noPoolIsNoneFree() {
    assertEquals(0, HugePages.freeMiB(List.of("HugePages_Total:       0", "HugePages_Free:        0",
        "Hugepagesize:       2048 kB")));
    assertEquals(0, HugePages.freeMiB(List.of("MemTotal:       24683520 kB")));
  }
}
