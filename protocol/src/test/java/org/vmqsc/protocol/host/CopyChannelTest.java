package org.vmqsc.protocol.host;

import static org.junit.Assert.assertEquals;

import java.util.ArrayList;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.Test;
import org.vmqsc.protocol.Message;

/**
 * One channel's copies against the sorted map they replace, over random runs of what the host rules do to them:
 * copies made in seq order, acknowledged in place, handed over out of order by a migrating VM, dropped from the
 * oldest (the line) or scattered (a rollback).
 */
public class CopyChannelTest {

  @Test public void itAnswersAsASortedMapWould() {
    SplittableRandom r = new SplittableRandom(20261130);
    for (int run = 0; run < 300; run++) {
      CopyChannel channel = new CopyChannel();
      TreeMap<Long, SenderCopy> reference = new TreeMap<>();
      long next = 1 + r.nextInt(1000);
      for (int step = 0; step < 400; step++) {
        int op = r.nextInt(10);
        if (op < 5) {
          SenderCopy c = SenderCopy.unacknowledged(message(next++));
          channel.put(c);
          reference.put(c.message().seq(), c);
        } else if (op == 5 && !reference.isEmpty()) {
          long seq = reference.firstKey() + r.nextLong(reference.lastKey() - reference.firstKey() + 1);
          SenderCopy c = new SenderCopy(message(seq), r.nextInt(100) + 1, r.nextInt(50), 0);
          channel.put(c);
          reference.put(seq, c);
        } else if (op == 6) {
          long seq = Math.max(1, (reference.isEmpty() ? next : reference.firstKey()) - 1 - r.nextInt(40));
          SenderCopy c = SenderCopy.unacknowledged(message(seq));
          channel.put(c);
          reference.put(seq, c);
        } else if (op == 7) {
          long below = reference.isEmpty() ? next : reference.firstKey() + r.nextInt(30);
          channel.removeIf(c -> c.message().seq() < below);
          reference.values().removeIf(c -> c.message().seq() < below);
        } else if (op == 8) {
          int modulus = 2 + r.nextInt(4);
          channel.removeIf(c -> c.message().seq() % modulus == 0);
          reference.values().removeIf(c -> c.message().seq() % modulus == 0);
        } else {
          long seq = Math.max(1, next - r.nextInt(60));
          assertEquals("run " + run + " step " + step + " seq " + seq, reference.get(seq), channel.get(seq));
        }
        assertEquals("run " + run + " step " + step, new ArrayList<>(reference.values()), channel.values());
        assertEquals(reference.isEmpty(), channel.isEmpty());
      }
    }
  }

  private static Message message(long seq) {
    return new Message(2, 5, seq, seq / 10, 0, 64, seq * 31);
  }
}
