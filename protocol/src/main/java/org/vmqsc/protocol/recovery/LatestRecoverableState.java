package org.vmqsc.protocol.recovery;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import org.vmqsc.protocol.BoundaryRecord;
import org.vmqsc.protocol.CarriedReceipt;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.Message;
import org.vmqsc.protocol.manager.LineKeeper;

/**
 * The latest global state a host failure can recover to: per VM, either its current state (a survivor left
 * running) or its state at a base boundary that stable storage can rebuild.
 *
 * <p>It starts from each failed VM's latest state on stable storage and each survivor's current state, and moves
 * a VM back to its next stable state only when no recoverable state at or below the present one can keep it:
 * <ul>
 *   <li>its state has received from a rolled-back VM more than that VM's state sent (an orphan receipt), so the
 *       receiver moves back;</li>
 *   <li>a rolled-back VM's state sent a message its receiver's state lacks and no log holds (in transit, and lost
 *       with the failed host), so the sender moves back.</li>
 *   <li>a failed VM's state sent a message, received (or not) after the line, that only a volatile log holds: the
 *       sender moves back. Its host's copies are gone, and a later failure may roll the receiver back to the line
 *       again; only stable storage still holds the message then. (Recovering beyond the line is safe only for
 *       what is on stable storage: the line's own in-transit messages are, by the line's rule.)</li>
 * </ul>
 * A sender left running has sent everything any state received from it, and what a rolled-back receiver's state
 * lacks of it is still on its way, unless the receiver had already received it: those messages (up to what the
 * receiver is known to have received, by its current counters or its latest report) need a log too, or the
 * sender moves back. (A sender restored before, past the receiver's boundary, lost its copies of what it sent
 * before that restore when its host failed.) The line is a state with neither fault, so the search stops at or
 * after it. Why the result is consistent and the latest such state: README,
 * "Recovery to the latest recoverable state".
 *
 * <p>Causal logging adds one state per failed VM above its latest stable one: that state extended by the
 * receipts other hosts hold of it (messages its host's traffic carried to them), as far as they run without a
 * gap and their messages are held, then re-executed until it has sent again what any recovered state received
 * from it. A message sent after the stable state counts as sent by the extended state when the sender had
 * received no more than the extension holds when it sent it ({@link Message#senderReceived}); the extended
 * state moves back to the stable one on any fault, like any other.
 */
final class LatestRecoverableState {

  /** The index standing for a survivor's current state, later than any boundary. */
  static final long RUNNING = Long.MAX_VALUE;

  private final LineKeeper keeper;
  private final Set<Integer> failed;
  private final Survivors survivors;
  private final HeldMessages held;
  /** Per VM, the index of its state, or RUNNING; -1 for a VM neither failed nor reported (left as it is). */
  private final long[] index;
  /** Per VM, the receipts that extend its state past its boundary (causal logging), or null. */
  private final List<LogEntry>[] extension;
  /** Per extended VM, its per-sender receive counters at the end of its extension. */
  private final long[][] extendedReceivedFrom;

  private LatestRecoverableState(LineKeeper keeper, Set<Integer> failed, Survivors survivors, HeldMessages held,
                                 long[] index) {
    this.keeper = keeper;
    this.failed = failed;
    this.survivors = survivors;
    this.held = held;
    this.index = index;
    @SuppressWarnings("unchecked") List<LogEntry>[] none = new List[index.length];
    this.extension = none;
    this.extendedReceivedFrom = new long[index.length][];
  }

  static LatestRecoverableState find(int size, LineKeeper keeper, Set<Integer> failed, Survivors survivors,
                                     HeldMessages held) {
    long[] index = new long[size];
    java.util.Arrays.fill(index, -1);
    for (int vm : survivors.vms()) index[vm] = RUNNING;
    for (int vm : failed) index[vm] = RUNNING; // lowered at once to its latest stable state
    LatestRecoverableState s = new LatestRecoverableState(keeper, failed, survivors, held, index);
    for (int vm : failed) s.moveBack(vm);
    for (int vm : failed) s.extend(vm);
    s.settle();
    return s;
  }

  /** Moves VMs back, one fault at a time, until no pair of VMs has a fault. */
  private void settle() {
    boolean moved = true;
    while (moved) {
      moved = false;
      for (int receiver = 0; receiver < index.length; receiver++) {
        if (index[receiver] < 0) continue;
        for (int sender = 0; sender < index.length; sender++) {
          if (sender == receiver || index[sender] < 0) continue;
          long received = receivedFrom(receiver, sender);
          if (index[sender] == RUNNING) {
            if (index[receiver] != RUNNING && !held.holdsAll(sender, receiver, received + 1,
                knownReceived(receiver, sender))) {
              moveBack(sender);
              moved = true;
            }
            continue;
          }
          long sent = keeper.recordAt(sender, index[sender]).sentTo(receiver);
          if (received > sent && !resends(sender, receiver, received)) {
            moveBack(receiver);
            moved = true;
          } else if (!held.holdsAll(sender, receiver, received + 1, sent) || !durable(sender, receiver, sent)) {
            moveBack(sender);
            moved = true;
          }
        }
      }
      for (int sender : failed) {
        for (int receiver = 0; receiver < index.length; receiver++) {
          if (index[receiver] < 0 && receiver != sender && !durable(sender, receiver,
              keeper.recordAt(sender, index[sender]).sentTo(receiver))) {
            moveBack(sender);
            moved = true;
          }
        }
      }
    }
  }

  /** Whether the VM has a state in the recovery (running, or rolled back), rather than being left as it is. */
  boolean hasState(int vm) {
    return index[vm] >= 0;
  }

  /** What a rolled-back VM's stable state sent to {@code receiver}. */
  long stableSentTo(int vm, int receiver) {
    return keeper.recordAt(vm, indexOf(vm)).sentTo(receiver);
  }

  /** How many messages from {@code sender} the receiver's recovered state holds (its extension included). */
  long receivedFrom(int receiver, int sender) {
    if (index[receiver] == RUNNING) return survivors.receivedFrom(receiver)[sender];
    if (extension[receiver] != null) return extendedReceivedFrom[receiver][sender];
    return keeper.recordAt(receiver, index[receiver]).receivedFrom(sender);
  }

  /**
   * Whether an extended sender sends again message #{@code seq} to the receiver (and all before it): its
   * re-execution reaches every send made on no more receipts than its extension holds, and some holder says what
   * each of them was.
   */
  private boolean resends(int sender, int receiver, long seq) {
    if (extension[sender] == null) return false;
    long dependsOn = held.senderReceived(sender, receiver, seq);
    if (dependsOn < 0 || dependsOn > extendedReceived(sender)) return false;
    // Each message it sends again must be known as first sent (its index places the boundaries between).
    for (long s = keeper.recordAt(sender, index[sender]).sentTo(receiver) + 1; s < seq; s++) {
      if (held.find(sender, receiver, s) == null) return false;
    }
    return true;
  }

  /** How many messages an extended VM has received at the end of its extension. */
  private long extendedReceived(int vm) {
    List<LogEntry> ext = extension[vm];
    BoundaryRecord b = keeper.recordAt(vm, index[vm]);
    return ext.isEmpty() ? b.received() : ext.get(ext.size() - 1).rsn();
  }

  /**
   * Extends a failed VM's stable state by the receipts surviving hosts hold of it, in rsn order from the one after
   * its state, up to the first gap or the first message no holder can deliver again.
   */
  private void extend(int vm) {
    if (!failed.contains(vm) || index[vm] < 0 || index[vm] == RUNNING) return;
    if (!survivors.carryReceipts()) return; // not piecewise deterministic: re-execution would not send the same
    List<CarriedReceipt> carried = survivors.carriedReceipts(vm);
    BoundaryRecord b = keeper.recordAt(vm, index[vm]);
    int incarnation = keeper.incarnation(vm);
    long[] receivedFrom = b.receivedFrom();
    long next = b.received() + 1;
    List<LogEntry> ext = new ArrayList<>();
    for (CarriedReceipt c : carried) {
      LogEntry e = c.entry();
      if (e.rsn() < next || e.incarnation() != incarnation) continue;
      Message m = e.message();
      if (e.rsn() != next || m.seq() != receivedFrom[m.from()] + 1 || e.position() < b.position()
          || !held.holdsAll(m.from(), vm, m.seq(), m.seq())) {
        break;
      }
      ext.add(e);
      receivedFrom[m.from()]++;
      next++;
    }
    extension[vm] = List.copyOf(ext);
    extendedReceivedFrom[vm] = receivedFrom;
  }

  boolean isExtended(int vm) {
    return extension[vm] != null;
  }

  /** The receipts that extend a VM's recovered state past its boundary (empty if it is not extended). */
  List<LogEntry> extensionOf(int vm) {
    return extension[vm] == null ? List.of() : extension[vm];
  }

  /** Whether a failed sender's messages to the receiver after the line, up to #sent, are all on stable storage. */
  private boolean durable(int sender, int receiver, long sent) {
    if (!failed.contains(sender)) return true;
    long atLine = keeper.recordAt(receiver, keeper.line().index()).receivedFrom(sender);
    return held.stablyHoldsAll(sender, receiver, atLine + 1, sent);
  }

  /** How many messages from {@code sender} the receiver is known to have received before the failure. */
  private long knownReceived(int receiver, int sender) {
    if (survivors.vms().contains(receiver)) return survivors.receivedFrom(receiver)[sender];
    org.vmqsc.protocol.BoundaryRecord latest = keeper.latestRecord(receiver);
    return latest == null ? 0 : latest.receivedFrom(sender);
  }

  /** To the VM's next earlier state on stable storage (from an extended state: to the state it extends). */
  private void moveBack(int vm) {
    if (extension[vm] != null) {
      extension[vm] = null;
      return;
    }
    List<Long> stable = keeper.stableIndexesFromLine(vm);
    for (long n : stable) {
      if (n < index[vm]) {
        index[vm] = n;
        return;
      }
    }
    throw new IllegalStateException("VM " + vm + " has no recoverable state before index " + index[vm]
        + " from line " + keeper.line().index() + " on: the line's in-transit messages or states are not all stable");
  }

  boolean rollsBack(int vm) {
    return index[vm] >= 0 && index[vm] != RUNNING;
  }

  /** The boundary a rolled-back VM restores to. */
  long indexOf(int vm) {
    if (!rollsBack(vm)) throw new IllegalArgumentException("VM " + vm + " keeps running");
    return index[vm];
  }

  SortedSet<Integer> rolledBack() {
    SortedSet<Integer> out = new TreeSet<>();
    for (int vm = 0; vm < index.length; vm++) if (rollsBack(vm)) out.add(vm);
    return out;
  }
}
