package org.vmqsc.agent.log;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.Test;
import org.vmqsc.protocol.Message;

/**
 * The per-channel payload store against a plain map of every message, over random keeps, reads and collections:
 * channels in and out of seq order, senders that send their seqs again under a new incarnation, collections that
 * keep a scattered few.
 */
public class PayloadsTest {

  @Test public void itAnswersAsAMapOfEveryMessageWould() {
    SplittableRandom r = new SplittableRandom(20261130);
    for (int run = 0; run < 200; run++) {
      Payloads store = new Payloads();
      Map<Message, byte[]> reference = new HashMap<>();
      List<Message> seen = new ArrayList<>();
      long[][] next = new long[4][4];
      int[] incarnation = new int[4];
      for (int step = 0; step < 400; step++) {
        int op = r.nextInt(10);
        int from = r.nextInt(4);
        int to = (from + 1 + r.nextInt(3)) % 4;
        if (op < 6) {
          if (next[from][to] == 0 || r.nextInt(20) == 0) next[from][to] = 1 + r.nextInt(5); // in and out of order
          Message m = new Message(from, to, next[from][to]++, step / 10, incarnation[from], 8, r.nextLong(3));
          byte[] payload = {(byte) step, (byte) from, (byte) to};
          store.putIfAbsent(m, payload);
          reference.putIfAbsent(m, payload);
          seen.add(m);
        } else if (op == 6) {
          incarnation[from]++; // rolled back: it sends its seqs again
          for (int t = 0; t < 4; t++) next[from][t] = Math.max(1, next[from][t] - r.nextInt(4));
        } else if (op == 7) {
          Set<Message> live = new HashSet<>();
          for (Message m : reference.keySet()) if (r.nextInt(3) == 0) live.add(m);
          store.retainOnly(live::contains);
          reference.keySet().retainAll(live);
        } else if (!seen.isEmpty()) {
          Message m = seen.get(r.nextInt(seen.size()));
          assertArrayEquals("run " + run + " step " + step + ": " + m, reference.get(m), store.get(m));
        }
        assertEquals("run " + run + " step " + step, reference.size(), store.size());
      }
      for (Message m : seen) assertArrayEquals(reference.get(m), store.get(m));
    }
  }

  @Test public void aSecondKeepOfAMessageKeepsTheFirstPayload() {
    Payloads store = new Payloads();
    Message m = new Message(0, 1, 5, 0, 0, 1, 7);
    store.putIfAbsent(m, new byte[] {1});
    store.putIfAbsent(m, new byte[] {2});
    assertArrayEquals(new byte[] {1}, store.get(m));
    assertEquals(1, store.size());
    assertNull(store.get(new Message(0, 1, 5, 0, 1, 1, 7)));
  }
}
