package org.vmqsc.agent.kvm;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.Test;
import org.vmqsc.agent.kvm.GuestRecords.Entry;
import org.vmqsc.agent.kvm.GuestRecords.Kind;

/** The verdict on histories built by hand: a clean exchange, then each fault it must name. */
public class GuestVerdictTest {

  /** Three guests sending round robin; each receiver got a random prefix of what was sent to it. */
  private static Map<Integer, List<Entry>> clean(Random random) {
    List<Entry> h0 = new ArrayList<>(), h1 = new ArrayList<>(), h2 = new ArrayList<>();
    List<List<Entry>> h = List.of(h0, h1, h2);
    long[] next = new long[3];
    List<Entry> pending = new ArrayList<>();
    for (int step = 0; step < 300; step++) {
      int from = random.nextInt(3);
      int to = (from + 1 + random.nextInt(2)) % 3;
      Entry send = new Entry(Kind.SEND, from, to, ++next[from]);
      h.get(from).add(send);
      pending.add(send);
      // deliver the oldest pending message of some channel now and then, in channel order
      if (random.nextInt(3) > 0 && !pending.isEmpty()) {
        Entry first = pending.remove(0);
        h.get(first.to()).add(new Entry(Kind.RECV, first.from(), first.to(), first.seq()));
      }
    }
    return Map.of(0, h0, 1, h1, 2, h2);
  }

  @Test public void aCleanExchangeHasNoFaultAndCountsWhatIsInFlight() {
    GuestVerdict.Result r = GuestVerdict.judge(clean(new Random(1)));
    assertEquals(List.of(), r.faults());
    assertEquals(6, r.channels());
    assertTrue(r.receipts() > 100);
    assertTrue("messages still pending at the end", r.inFlight() > 0);
  }

  @Test public void anOrphanALossAndADuplicateAreEachNamed() {
    Map<Integer, List<Entry>> orphan = copy(clean(new Random(2)));
    // VM 1's history loses its last send to VM 0 (rolled back) though VM 0 kept the receipt.
    Entry lastReceived = last(orphan.get(0), Kind.RECV, 1);
    orphan.get(1).removeIf(e -> e.kind() == Kind.SEND && e.to() == 0 && e.seq() == lastReceived.seq());
    assertTrue(GuestVerdict.judge(orphan).faults().toString(), GuestVerdict.judge(orphan).faults().get(0).contains("orphan"));

    Map<Integer, List<Entry>> loss = copy(clean(new Random(3)));
    Entry firstReceived = loss.get(2).stream().filter(e -> e.kind() == Kind.RECV && e.from() == 0).findFirst().orElseThrow();
    loss.get(2).remove(firstReceived);
    assertTrue(GuestVerdict.judge(loss).faults().toString(), GuestVerdict.judge(loss).faults().get(0).contains("lost"));

    Map<Integer, List<Entry>> dup = copy(clean(new Random(4)));
    Entry again = last(dup.get(1), Kind.RECV, 2);
    dup.get(1).add(again);
    assertTrue(GuestVerdict.judge(dup).faults().toString(), GuestVerdict.judge(dup).faults().get(0).contains("twice"));
  }

  private static Entry last(List<Entry> history, Kind kind, int from) {
    Entry found = null;
    for (Entry e : history) if (e.kind() == kind && e.from() == from) found = e;
    if (found == null) throw new AssertionError("no " + kind + " from " + from);
    return found;
  }

  private static Map<Integer, List<Entry>> copy(Map<Integer, List<Entry>> h) {
    return Map.of(0, new ArrayList<>(h.get(0)), 1, new ArrayList<>(h.get(1)), 2, new ArrayList<>(h.get(2)));
  }
}
