package org.vmqsc.agent.kvm;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The guests' own verdict on a run with recoveries, from what their messaging program recorded on their disks. A
 * guest's disk goes back with its memory when it is restored, so the records on its final disk are exactly the
 * history of its surviving execution: what it sent and received, in order, on every channel.
 *
 * <p>On each channel (sender → receiver, the sender numbering its messages), the receiver's receipts must be the
 * first of the sender's surviving sends, in order, each once:
 * <ul>
 *   <li>a receipt of a message the sender's history does not hold is an <b>orphan</b> (its send was rolled back and
 *       the receipt was not);</li>
 *   <li>a receipt that skips a message the sender sent before it is a <b>loss</b> (a message in transit at a
 *       recovery line that no log gave back, or a frame the relay dropped);</li>
 *   <li>a message received twice is a <b>duplicate</b>.</li>
 * </ul>
 * Sends after the receiver's last receipt are in flight when the run stopped; the guests keep sending after a
 * recovery, so a message lost at a recovery would be followed by later ones and show as a loss.
 */
public final class GuestVerdict {

  /** What the records say: the faults found, and what was still in flight per channel at the end. */
  public record Result(List<String> faults, int channels, long receipts, long inFlight) {
    public boolean clean() {
      return faults.isEmpty();
    }
  }

  private GuestVerdict() {}

  /** @param histories every guest's records, by VM number */
  public static Result judge(Map<Integer, List<GuestRecords.Entry>> histories) {
    List<String> faults = new ArrayList<>();
    int channels = 0;
    long receipts = 0, inFlight = 0;
    Set<Integer> vms = new TreeSet<>(histories.keySet());
    for (int to : vms) {
      for (GuestRecords.Entry e : histories.get(to)) {
        if (e.kind() == GuestRecords.Kind.RECV && !vms.contains(e.from())) {
          faults.add("VM " + to + " received #" + e.seq() + " from VM " + e.from() + ", which is not in the group");
        }
      }
    }
    for (int from : vms) {
      for (int to : vms) {
        if (from == to) continue;
        List<Long> sent = seqs(histories.get(from), GuestRecords.Kind.SEND, from, to);
        List<Long> received = seqs(histories.get(to), GuestRecords.Kind.RECV, from, to);
        if (sent.isEmpty() && received.isEmpty()) continue;
        channels++;
        receipts += received.size();
        inFlight += Math.max(0, sent.size() - received.size());
        String channel = "VM " + from + " -> VM " + to;
        Set<Long> seen = new HashSet<>();
        Set<Long> sentSet = new HashSet<>(sent);
        for (int i = 0; i < received.size(); i++) {
          long seq = received.get(i);
          if (!seen.add(seq)) {
            faults.add(channel + ": #" + seq + " received twice (duplicate)");
          } else if (!sentSet.contains(seq)) {
            faults.add(channel + ": #" + seq + " received, but the sender's history never sent it (orphan)");
          } else if (i >= sent.size() || sent.get(i) != seq) {
            faults.add(channel + ": #" + seq + " received where #" + sent.get(Math.min(i, sent.size() - 1))
                + " was due (a message before it was lost)");
          } else {
            continue;
          }
          break; // the first fault of a channel explains the rest of it
        }
      }
    }
    return new Result(faults, channels, receipts, inFlight);
  }

  private static List<Long> seqs(List<GuestRecords.Entry> history, GuestRecords.Kind kind, int from, int to) {
    List<Long> out = new ArrayList<>();
    for (GuestRecords.Entry e : history) {
      if (e.kind() == kind && e.from() == from && e.to() == to) out.add(e.seq());
    }
    return out;
  }
}
