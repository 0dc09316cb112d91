package org.vmqsc.protocol.recovery;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.vmqsc.protocol.CarriedReceipt;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.Message;
import org.vmqsc.protocol.host.SenderCopy;

/**
 * The messages a recovery can deliver again, by channel: those in the stable log of late messages, in a surviving
 * receiver's volatile log or in a surviving sender's copies, sent by the current execution of their sender; and,
 * apart, those on stable storage, the only holder that outlives any later host failure.
 */
final class HeldMessages {

  private final int size;
  private final Map<Integer, TreeSet<Long>> seqs = new HashMap<>();
  private final Map<Integer, TreeSet<Long>> stableSeqs = new HashMap<>();
  /** Per channel and seq, the message as any holder has it (what its sender had received then, for one). */
  private final Map<Integer, Map<Long, Message>> sent = new HashMap<>();

  HeldMessages(int size, Survivors survivors, Map<Integer, List<LogEntry>> stableInTransit, Predicate<Message> stale) {
    this.size = size;
    for (List<LogEntry> entries : stableInTransit.values()) {
      for (LogEntry e : entries) {
        add(seqs, e.message(), stale);
        add(stableSeqs, e.message(), stale);
      }
    }
    for (int vm = 0; vm < size; vm++) {
      for (LogEntry e : survivors.receiveLog(vm)) add(seqs, e.message(), stale);
      for (SenderCopy c : survivors.copiesTo(vm)) add(seqs, c.message(), stale);
      // A carried receipt says what its message was, not its bytes: that is for the resend checks.
      for (CarriedReceipt c : survivors.carriedReceipts(vm)) if (!stale.test(c.message())) remember(c.message());
    }
  }

  private void add(Map<Integer, TreeSet<Long>> into, Message m, Predicate<Message> stale) {
    if (stale.test(m)) return;
    into.computeIfAbsent(m.from() * size + m.to(), k -> new TreeSet<>()).add(m.seq());
    remember(m);
  }

  private void remember(Message m) {
    sent.computeIfAbsent(m.from() * size + m.to(), k -> new HashMap<>()).putIfAbsent(m.seq(), m);
  }

  /** What the sender of message #{@code seq} of the channel had received when it sent it; -1 if no holder says. */
  long senderReceived(int sender, int receiver, long seq) {
    Message m = find(sender, receiver, seq);
    return m == null ? -1 : m.senderReceived();
  }

  /** Message #{@code seq} of the channel as some holder has it (payload or not), or null. */
  Message find(int sender, int receiver, long seq) {
    Map<Long, Message> channel = sent.get(sender * size + receiver);
    return channel == null ? null : channel.get(seq);
  }

  /** Whether every message from..to (seqs, inclusive) of channel {@code sender -> receiver} is held somewhere. */
  boolean holdsAll(int sender, int receiver, long from, long to) {
    return all(seqs, sender, receiver, from, to);
  }

  /** Whether every message from..to (seqs, inclusive) of channel {@code sender -> receiver} is on stable storage. */
  boolean stablyHoldsAll(int sender, int receiver, long from, long to) {
    return all(stableSeqs, sender, receiver, from, to);
  }

  private boolean all(Map<Integer, TreeSet<Long>> in, int sender, int receiver, long from, long to) {
    if (to < from) return true;
    TreeSet<Long> channel = in.get(sender * size + receiver);
    return channel != null && channel.subSet(from, true, to, true).size() == to - from + 1;
  }
}
