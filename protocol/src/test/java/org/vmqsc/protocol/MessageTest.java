package org.vmqsc.protocol;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.Test;

/** A message is equal to another exactly when every field is: the written-out equals and hashCode keep that. */
public class MessageTest {

  @Test public void equalFieldsMakeEqualMessagesAndAnyOtherFieldMakesAnother() {
    Random random = new Random(7);
    for (int i = 0; i < 10_000; i++) {
      Message m = new Message(random.nextInt(32), 64 + random.nextInt(64), 1 + random.nextInt(1 << 20),
          random.nextInt(1000), random.nextInt(4), random.nextInt(9000), random.nextLong());
      Message same = new Message(m.from(), m.to(), m.seq(), m.index(), m.incarnation(), m.size(), m.digest());
      assertEquals(m, same);
      assertEquals(m.hashCode(), same.hashCode());
      assertNotEquals(m, new Message(m.from() + 1, m.to(), m.seq(), m.index(), m.incarnation(), m.size(), m.digest()));
      assertNotEquals(m, new Message(m.from(), m.to() + 1, m.seq(), m.index(), m.incarnation(), m.size(), m.digest()));
      assertNotEquals(m, new Message(m.from(), m.to(), m.seq() + 1, m.index(), m.incarnation(), m.size(), m.digest()));
      assertNotEquals(m, new Message(m.from(), m.to(), m.seq(), m.index() + 1, m.incarnation(), m.size(), m.digest()));
      assertNotEquals(m, new Message(m.from(), m.to(), m.seq(), m.index(), m.incarnation() + 1, m.size(), m.digest()));
      assertNotEquals(m, new Message(m.from(), m.to(), m.seq(), m.index(), m.incarnation(), m.size() + 1, m.digest()));
      assertNotEquals(m, new Message(m.from(), m.to(), m.seq(), m.index(), m.incarnation(), m.size(), m.digest() + 1));
      assertNotEquals(m, "m");
    }
  }

  @Test public void theMessagesOfOneChannelSpreadOverHashBuckets() {
    // A host's live set holds long runs of one channel's seqs: their hashes must not collide in a 2^16 table.
    Set<Integer> buckets = new HashSet<>();
    for (long seq = 1; seq <= 4096; seq++) buckets.add(new Message(0, 1, seq, seq / 100, 0, 64, 0).hashCode() & 0xffff);
    assertEquals(4096.0, buckets.size(), 4096 * 0.1);
  }
}
