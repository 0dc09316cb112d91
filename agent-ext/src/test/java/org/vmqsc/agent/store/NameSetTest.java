package org.vmqsc.agent.store;

import static org.junit.Assert.assertEquals;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.Test;

public class NameSetTest {

  @Test public void holdsExactlyWhatAHashSetWouldAcrossGrowthAndClearing() {
    Random random = new Random(11);
    NameSet names = new NameSet(4);
    Set<String> expected = new HashSet<>();
    for (int round = 0; round < 3; round++) {
      for (int i = 0; i < 5000; i++) {
        // Few distinct names, so many are added twice; some collide in their low hash bits
        String name = Integer.toHexString(random.nextInt(3000) << (random.nextBoolean() ? 16 : 0));
        names.add(name);
        expected.add(name);
        String probe = Integer.toHexString(random.nextInt(6000));
        assertEquals(probe, expected.contains(probe), names.contains(probe));
      }
      List<String> listed = new ArrayList<>();
      names.addTo(listed);
      assertEquals(expected.size(), listed.size());
      assertEquals(expected, new HashSet<>(listed));
      names.clear();
      expected.clear();
      assertEquals(false, names.contains(listed.get(0)));
    }
  }
}
