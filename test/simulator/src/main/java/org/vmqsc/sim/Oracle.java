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
  /** Per VM, the order in which its guest received messages since its last rollback (key: from, seq). */
  private final List<Map<Long, Long>> receiveOrder = new ArrayList<>();
  private final long[] received;
  /** Ground truth of each VM's state at each base boundary of its current execution. */
  private final Map<Long, PwdGuest> atBoundary = new HashMap<>();
  private long lineIndex = -1;

  Oracle(int n, Consumer<String> fail) {
    this.n = n;
    this.fail = fail;
    this.received = new long[n];
    for (int i = 0; i < n * n; i++) sent.add(new ArrayList<>());
    for (int i = 0; i < n; i++) receiveOrder.add(new HashMap<>());
  }

  // ---- as the run goes --------------------------------------------------------------------------------------

  /** A guest really sent m (not a replay): its seq must be the guest's own count on that channel. */
  void onSend(Message m, PwdGuest g) {
    List<Long> channel = sent.get(m.from() * n + m.to());
    if (m.seq() != g.sent[m.to()] || m.seq() != channel.size() + 1) {
      fail.accept("relay numbered " + m + " but the guest had sent " + g.sent[m.to()] + " on that channel");
    }
    channel.add(m.digest());
  }

  /** A replaying guest sent again what it sent before: it must be the very same message. */
  void onReplayedSend(int from, int to, long seq, long digest) {
    List<Long> channel = sent.get(from * n + to);
    if (seq > channel.size() || channel.get((int) seq - 1) != digest) {
      fail.accept("replay of VM " + from + " did not reproduce its message #" + seq + " to VM " + to);
    }
  }

  /** A guest is about to receive m: next in its channel, and the message the sender's execution really sent. */
  void onDeliver(Message m, PwdGuest g) {
    long expected = g.received[m.from()] + 1;
    if (m.seq() != expected) {
      fail.accept((m.seq() < expected ? "duplicate delivery of " : "lost message before ") + m
          + ": VM " + m.to() + " had received " + (expected - 1) + " on that channel");
    }
    List<Long> channel = sent.get(m.from() * n + m.to());
    if (m.seq() > channel.size() || channel.get((int) m.seq() - 1) != m.digest()) {
      fail.accept("orphan delivery: " + m + " is not what VM " + m.from() + "'s current execution sent");
    }
    receiveOrder.get(m.to()).put(key(m.from(), m.seq()), ++received[m.to()]);
  }

  /** A guest being rebuilt gets a logged message again: it must be the one the sender really sent. */
  void onReplayedDelivery(Message m, PwdGuest g) {
    List<Long> channel = sent.get(m.from() * n + m.to());
    if (m.seq() != g.received[m.from()] + 1 || m.seq() > channel.size() || channel.get((int) m.seq() - 1) != m.digest()) {
      fail.accept("log replay into VM " + m.to() + " of " + m + " does not match what was sent and received");
    }
  }

  void onBoundary(int vm, long index, PwdGuest snapshot) {
    atBoundary.put(index * n + vm, snapshot);
  }

  PwdGuest stateAt(int vm, long index) {
    return atBoundary.get(index * n + vm);
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
  void checkRestoredState(int vm, long line, PwdGuest restored) {
    PwdGuest truth = stateAt(vm, line);
    if (truth == null || truth.hash != restored.hash || truth.position != restored.position) {
      fail.accept("VM " + vm + " restored to line " + line + " is not the state it had at that boundary");
    }
  }

  /** The rolled-back VM's execution after the line is discarded: forget what it sent after its restored state. */
  void onRollback(PwdGuest restored) {
    for (int to = 0; to < n; to++) {
      List<Long> channel = sent.get(restored.vm * n + to);
      while (channel.size() > restored.sent[to]) channel.remove(channel.size() - 1);
    }
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
   * know, and for all of them when the receiver's host survived (its own log knew it all).
   */
  void checkReplayOrder(int vm, List<Replay> replays, Map<Long, Long> originalOrder, boolean hostSurvived) {
    long last = 0;
    for (Replay r : replays) {
      Long original = originalOrder.get(key(r.message().from(), r.message().seq()));
      if (original == null) {
        // Still on the wire when the host failed: a first delivery, not a replay, so no order to keep.
        if (r.originalRsn() > 0) fail.accept("replay into VM " + vm + " claims " + r.message() + " was received, it was not");
        continue;
      }
      if (r.originalRsn() <= 0) {
        if (hostSurvived) fail.accept("VM " + vm + "'s host survived but the plan lost the receive order of " + r.message());
        continue;
      }
      if (original < last) fail.accept("replay into VM " + vm + " out of its original receive order at " + r.message());
      last = original;
    }
  }

  Map<Long, Long> receiveOrderOf(int vm) {
    return Map.copyOf(receiveOrder.get(vm));
  }

  void resetReceiveOrder(int vm) {
    receiveOrder.get(vm).clear();
  }

  /**
   * The rolled-back set must be the smallest superset of the failed VMs whose rollback to the line leaves no
   * orphan, found here by trying every subset of the survivors (small groups only).
   */
  boolean checkMinimal(Set<Integer> failed, Set<Integer> rolledBack, List<Integer> survivors, PwdGuest[] current,
                       long line) {
    if (survivors.size() > 12) return false;
    PwdGuest[] atLine = new PwdGuest[n];
    for (int vm = 0; vm < n; vm++) atLine[vm] = stateAt(vm, line);
    int best = Integer.MAX_VALUE;
    for (int mask = 0; mask < (1 << survivors.size()); mask++) {
      int size = failed.size() + Integer.bitCount(mask);
      if (size >= best) continue;
      boolean[] back = new boolean[n];
      for (int vm : failed) back[vm] = true;
      for (int b = 0; b < survivors.size(); b++) if ((mask & (1 << b)) != 0) back[survivors.get(b)] = true;
      if (consistent(back, atLine, current)) best = size;
    }
    boolean[] planned = new boolean[n];
    for (int vm : rolledBack) planned[vm] = true;
    if (!consistent(planned, atLine, current)) fail.accept("planned rollback set " + rolledBack + " leaves an orphan");
    if (rolledBack.size() != best) {
      fail.accept("planned rollback set " + rolledBack + " has " + rolledBack.size() + " VMs; brute force found "
          + best + " (failed " + failed + ")");
    }
    return true;
  }

  private boolean consistent(boolean[] back, PwdGuest[] atLine, PwdGuest[] current) {
    for (int i = 0; i < n; i++) {
      PwdGuest si = back[i] ? atLine[i] : current[i];
      for (int j = 0; j < n; j++) {
        if (i == j) continue;
        PwdGuest sj = back[j] ? atLine[j] : current[j];
        if (sj.received[i] > si.sent[j]) return false;
      }
    }
    return true;
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

  private static long key(int from, long seq) {
    return seq * 4096 + from;
  }
}
