package org.vmqsc.sim;

import org.vmqsc.agent.guest.PwdGuest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.vmqsc.protocol.Message;
import org.vmqsc.protocol.recovery.Replay;

/**
 * Checks a run against ground truth the simulator keeps itself (guest states, what was really sent), never
 * against the protocol's own bookkeeping. Every check that fails calls {@code fail} with a readable reason.
 */
final class Oracle {
  private final int n;
  private final Consumer<String> fail;
  /** Per channel, the digest of every message of the current execution, by seq. */
  private final List<List<Long>> sent = new ArrayList<>();
  /** Per channel, the sender's incarnation when it sent each message of the current execution, by seq. */
  private final List<List<Integer>> sentIncarnation = new ArrayList<>();
  /** Per VM, the order in which its guest received messages since its last rollback (key: from, seq). */
  private final List<Map<Long, Long>> receiveOrder = new ArrayList<>();
  private final long[] received;
  /** Per VM, the messages its guest received since its last restore (its host's volatile log knows their order). */
  private final List<Set<Long>> receivedSinceRestore = new ArrayList<>();
  /**
   * Per VM, the messages of its current execution its host's volatile receive log holds: what its guest received
   * on that host, and, after a restore, only the log segments it was rebuilt with (what its checkpoint already
   * holds is in no volatile log; the restore starts the VM's log afresh).
   */
  private final List<Set<Long>> inHostLog = new ArrayList<>();
  /** Ground truth of each VM's state at each base boundary of its current execution. */
  private final List<java.util.TreeMap<Long, PwdGuest>> atBoundary = new ArrayList<>();
  private final List<java.util.TreeMap<Long, Integer>> incarnationAt = new ArrayList<>();
  private long lineIndex = -1;
  /** Per channel, the digest of every message the receiver's current execution received, by seq. */
  private final List<List<Long>> delivered = new ArrayList<>();
  /** Per VM, its state just before each receipt of its current execution, by how many it had received. */
  private final List<java.util.TreeMap<Long, PwdGuest>> beforeReceipt = new ArrayList<>();
  /**
   * Per VM, by rsn, the incarnations that made each receipt of its current execution: the one that first took it,
   * and any that took it again when a recovery rebuilt the VM past its stable state.
   */
  private final List<java.util.TreeMap<Long, Set<Integer>>> receiptMadeBy = new ArrayList<>();

  Oracle(int n, Consumer<String> fail) {
    this.n = n;
    this.fail = fail;
    this.received = new long[n];
    for (int i = 0; i < n * n; i++) {
      sent.add(new ArrayList<>());
      sentIncarnation.add(new ArrayList<>());
      delivered.add(new ArrayList<>());
    }
    for (int i = 0; i < n; i++) {
      receiveOrder.add(new HashMap<>());
      receivedSinceRestore.add(new java.util.HashSet<>());
      inHostLog.add(new java.util.HashSet<>());
      atBoundary.add(new java.util.TreeMap<>());
      beforeReceipt.add(new java.util.TreeMap<>());
      receiptMadeBy.add(new java.util.TreeMap<>());
      incarnationAt.add(new java.util.TreeMap<>());
    }
  }

  // ---- as the run goes --------------------------------------------------------------------------------------

  /** A guest really sent m (not a replay): its seq must be the guest's own count on that channel. */
  void onSend(Message m, PwdGuest g) {
    List<Long> channel = sent.get(m.from() * n + m.to());
    if (m.seq() != g.sent[m.to()] || m.seq() != channel.size() + 1) {
      fail.accept("relay numbered " + m + " but the guest had sent " + g.sent[m.to()] + " on that channel");
    }
    channel.add(m.digest());
    sentIncarnation.get(m.from() * n + m.to()).add(m.incarnation());
    // A VM rebuilt past its stable state sends again what others' states hold: it must be the very same message.
    List<Long> got = delivered.get(m.from() * n + m.to());
    if (m.seq() <= got.size() && got.get((int) m.seq() - 1) != m.digest()) {
      fail.accept("VM " + m.from() + " sent " + m + " again differently from what VM " + m.to() + " received as #"
          + m.seq());
    }
  }

  /** The incarnation that sent message #seq of channel from -> to in the current execution, or -1. */
  int incarnationOf(int from, int to, long seq) {
    List<Integer> channel = sentIncarnation.get(from * n + to);
    return seq < 1 || seq > channel.size() ? -1 : channel.get((int) seq - 1);
  }

  /** The digest of message #seq of channel from -> to in the current execution, or 0. */
  long digestOf(int from, int to, long seq) {
    List<Long> channel = sent.get(from * n + to);
    return seq < 1 || seq > channel.size() ? 0 : channel.get((int) seq - 1);
  }

  /** Whether the volatile receive log of the VM's host holds message #seq from {@code from}. */
  boolean inHostLog(int vm, int from, long seq) {
    return inHostLog.get(vm).contains(key(from, seq));
  }

  /** A replaying guest sent again what it sent before: it must be the very same message. */
  void onReplayedSend(int from, int to, long seq, long digest) {
    List<Long> channel = sent.get(from * n + to);
    if (seq > channel.size() || channel.get((int) seq - 1) != digest) {
      fail.accept("replay of VM " + from + " did not reproduce its message #" + seq + " to VM " + to);
    }
  }

  /**
   * A guest is about to receive m, its host numbering the receipt under {@code incarnation}: next in its channel,
   * and the message the sender's execution really sent.
   */
  void onDeliver(Message m, PwdGuest g, int incarnation) {
    long expected = g.received[m.from()] + 1;
    if (m.seq() != expected) {
      fail.accept((m.seq() < expected ? "duplicate delivery of " : "lost message before ") + m
          + ": VM " + m.to() + " had received " + (expected - 1) + " on that channel");
    }
    List<Long> channel = sent.get(m.from() * n + m.to());
    if (m.seq() > channel.size() || channel.get((int) m.seq() - 1) != m.digest()) {
      fail.accept("orphan delivery: " + m + " is not what VM " + m.from() + "'s current execution sent");
    }
    List<Long> got = delivered.get(m.from() * n + m.to());
    if (m.seq() == got.size() + 1) got.add(m.digest());
    beforeReceipt.get(m.to()).put(total(g), g.copy());
    receiptMadeBy.get(m.to()).computeIfAbsent(total(g) + 1, k -> new java.util.HashSet<>()).add(incarnation);
    receiveOrder.get(m.to()).put(key(m.from(), m.seq()), ++received[m.to()]);
    receivedSinceRestore.get(m.to()).add(key(m.from(), m.seq()));
    inHostLog.get(m.to()).add(key(m.from(), m.seq()));
  }

  /** A guest being rebuilt gets a logged message again: it must be the one the sender really sent. */
  void onReplayedDelivery(Message m, PwdGuest g) {
    List<Long> channel = sent.get(m.from() * n + m.to());
    if (m.seq() != g.received[m.from()] + 1 || m.seq() > channel.size() || channel.get((int) m.seq() - 1) != m.digest()) {
      fail.accept("log replay into VM " + m.to() + " of " + m + " does not match what was sent and received");
    }
  }

  void onBoundary(int vm, long index, PwdGuest snapshot, int incarnation) {
    atBoundary.get(vm).put(index, snapshot);
    incarnationAt.get(vm).put(index, incarnation);
  }

  /** The incarnation whose checkpoint or log segment recorded the VM's state at the boundary, or -1. */
  int incarnationAt(int vm, long index) {
    return incarnationAt.get(vm).getOrDefault(index, -1);
  }

  PwdGuest stateAt(int vm, long index) {
    return atBoundary.get(vm).get(index);
  }

  /** The boundaries of the VM's current execution from {@code from} on, highest first. */
  List<Long> boundariesFrom(int vm, long from) {
    return new ArrayList<>(atBoundary.get(vm).tailMap(from, true).descendingKeySet());
  }

  void onLine(long index, boolean allStable) {
    if (index < lineIndex) fail.accept("recovery line moved backwards from " + lineIndex + " to " + index);
    if (!allStable) fail.accept("recovery line " + index + " names a checkpoint or log that is not stable");
    lineIndex = index;
  }

  // ---- at a recovery ----------------------------------------------------------------------------------------

  /** VM failure: the guest rebuilt from checkpoint + log must be exactly where it was. */
  void checkReplayedState(int vm, PwdGuest rebuilt, long position, long hash) {
    if (rebuilt.position != position || rebuilt.hash != hash) {
      fail.accept("VM " + vm + " replayed to position " + rebuilt.position + " hash " + Long.toHexString(rebuilt.hash)
          + " but failed at position " + position + " hash " + Long.toHexString(hash));
    }
  }

  /** Host failure: the restored guest must be exactly its state at the line. */
  void checkRestoredState(int vm, long index, PwdGuest restored) {
    PwdGuest truth = stateAt(vm, index);
    if (truth == null || truth.hash != restored.hash || truth.position != restored.position) {
      fail.accept("VM " + vm + " restored to boundary " + index + " is not the state it had at that boundary");
    }
  }

  /**
   * The rolled-back VM's execution after its restored state (at boundary {@code index}) is discarded: forget what
   * it sent after it and its boundaries after it.
   */
  void onRollback(PwdGuest restored, long index) {
    for (int to = 0; to < n; to++) {
      List<Long> channel = sent.get(restored.vm * n + to);
      List<Integer> incarnations = sentIncarnation.get(restored.vm * n + to);
      while (channel.size() > restored.sent[to]) channel.remove(channel.size() - 1);
      while (incarnations.size() > restored.sent[to]) incarnations.remove(incarnations.size() - 1);
    }
    atBoundary.get(restored.vm).tailMap(index, false).clear();
    incarnationAt.get(restored.vm).tailMap(index, false).clear();
  }

  /** No message received in the restored global state whose send it does not contain. */
  void checkNoOrphan(PwdGuest[] guests) {
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        if (i != j && guests[i] != null && guests[j] != null && guests[j].received[i] > guests[i].sent[j]) {
          fail.accept("orphan after recovery: VM " + j + " has received " + guests[j].received[i]
              + " messages from VM " + i + " which has sent " + guests[i].sent[j]);
        }
      }
    }
  }

  /**
   * Replays must come in the order the receiver first got them, for every message whose order the plan claims to
   * know, and, when the receiver's host survived, for all it received since its last restore (its log knew them).
   */
  void checkReplayOrder(int vm, List<Replay> replays, Map<Long, Long> originalOrder, Set<Long> sinceRestore,
                        boolean hostSurvived) {
    long last = 0;
    for (Replay r : replays) {
      Long original = originalOrder.get(key(r.message().from(), r.message().seq()));
      if (original == null) {
        // Still on the wire when the host failed: a first delivery, not a replay, so no order to keep.
        if (r.originalRsn() > 0) fail.accept("replay into VM " + vm + " claims " + r.message() + " was received, it was not");
        continue;
      }
      if (r.originalRsn() <= 0) {
        // Its host's log holds what the VM received since its last restore; what its restored state already held
        // was received by an earlier execution, whose order only stable storage may still know.
        if (hostSurvived && sinceRestore.contains(key(r.message().from(), r.message().seq()))) {
          fail.accept("VM " + vm + "'s host survived but the plan lost the receive order of " + r.message());
        }
        continue;
      }
      if (original < last) fail.accept("replay into VM " + vm + " out of its original receive order at " + r.message());
      last = original;
    }
  }

  Set<Long> receivedSinceRestoreOf(int vm) {
    return Set.copyOf(receivedSinceRestore.get(vm));
  }

  Map<Long, Long> receiveOrderOf(int vm) {
    return Map.copyOf(receiveOrder.get(vm));
  }

  /**
   * A VM restored to a boundary keeps, of its receive order, only the messages its restored state holds: its
   * rebuild received them again in the same order, and a later recovery to an earlier boundary may replay them.
   */
  void resetReceiveOrder(PwdGuest restored, PwdGuest checkpoint) {
    for (int from = 0; from < n; from++) {
      List<Long> got = delivered.get(from * n + restored.vm);
      while (got.size() > restored.received[from]) got.remove(got.size() - 1);
    }
    beforeReceipt.get(restored.vm).tailMap(total(restored), true).clear();
    receiptMadeBy.get(restored.vm).tailMap(total(restored), false).clear();
    receiveOrder.get(restored.vm).keySet().removeIf(k -> k / 4096 > restored.received[(int) (k % 4096)]);
    receivedSinceRestore.get(restored.vm).clear();
    Set<Long> log = inHostLog.get(restored.vm);
    log.clear();
    for (int from = 0; from < n; from++) {
      for (long seq = checkpoint.received[from] + 1; seq <= restored.received[from]; seq++) log.add(key(from, seq));
    }
  }

  // ---- at the end ------------------------------------------------------------------------------------------

  /** After the drain: every message sent was received, exactly once (duplicates were caught on delivery). */
  void checkNothingLost(PwdGuest[] guests) {
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        if (i != j && guests[j].received[i] != guests[i].sent[j]) {
          fail.accept("after the drain VM " + j + " has received " + guests[j].received[i] + " of the "
              + guests[i].sent[j] + " messages VM " + i + " sent it: lost");
        }
      }
    }
  }

  /**
   * The VM's state in its current execution just before it received its ({@code received}+1)-th message, or
   * {@code failedAs} when it had received no more before it failed; null when neither is known. The furthest a
   * VM rebuilt past its stable state with {@code received} receipts can go.
   */
  PwdGuest stateBeforeReceipt(int vm, long received, PwdGuest failedAs) {
    PwdGuest before = beforeReceipt.get(vm).get(received);
    if (before != null) return before;
    return failedAs != null && total(failedAs) == received ? failedAs : null;
  }

  /** Whether {@code incarnation} made receipt {@code rsn} of the VM's current execution. */
  boolean madeReceipt(int vm, long rsn, int incarnation) {
    return receiptMadeBy.get(vm).getOrDefault(rsn, Set.of()).contains(incarnation);
  }

  private static long total(PwdGuest g) {
    long t = 0;
    for (long r : g.received) t += r;
    return t;
  }

  private static long key(int from, long seq) {
    return seq * 4096 + from;
  }
}
