package org.vmqsc.protocol.recovery;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
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
 * <p>Causal logging adds states per failed VM above its latest stable one: that state extended by the first
 * k receipts other hosts hold of it (messages its host's traffic carried to them), for every k up to the first
 * gap or the first message neither held nor sent again by its sender's extended state, each re-executed until it
 * has sent again what any recovered state received from it. A message sent after the stable state counts as sent
 * by an extended state when the sender had received no more than the extension holds when it sent it
 * ({@link Message#senderReceived}). They are the VM's latest states, in that order: a fault takes the last receipt
 * back, and from none, the VM moves back to the stable state it extends, and on as before.
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
    Arrays.fill(index, -1);
    for (int vm : survivors.vms()) index[vm] = RUNNING;
    for (int vm : failed) index[vm] = RUNNING; // lowered at once to its latest stable state
    LatestRecoverableState s = new LatestRecoverableState(keeper, failed, survivors, held, index);
    for (int vm : failed) s.moveBack(vm);
    s.extendTogether();
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
   * Extends each failed VM's stable state by the receipts surviving hosts hold of it, in rsn order from the one
   * after its state, up to the first gap or the first message that neither a holder can deliver again nor its
   * sender's extended state sends again (a message between two VMs of the failed host was kept nowhere else).
   * The extensions grow together, each as far as the others let it, until none can grow.
   */
  private void extendTogether() {
    if (!survivors.carryReceipts()) return; // not piecewise deterministic: re-execution would not send the same
    Map<Integer, Iterator<CarriedReceipt>> pending = new TreeMap<>();
    Map<Integer, CarriedReceipt> waiting = new TreeMap<>();
    for (int vm : failed) {
      if (index[vm] < 0 || index[vm] == RUNNING) continue;
      BoundaryRecord b = keeper.recordAt(vm, index[vm]);
      extension[vm] = new ArrayList<>();
      extendedReceivedFrom[vm] = b.receivedFrom();
      int incarnation = keeper.incarnation(vm);
      pending.put(vm, survivors.carriedReceipts(vm).stream()
          .filter(c -> c.entry().rsn() > b.received() && c.entry().incarnation() == incarnation).iterator());
    }
    boolean grew = true;
    while (grew) {
      grew = false;
      for (Map.Entry<Integer, Iterator<CarriedReceipt>> p : pending.entrySet()) {
        int vm = p.getKey();
        while (true) {
          CarriedReceipt c = waiting.remove(vm);
          if (c == null && p.getValue().hasNext()) c = p.getValue().next();
          if (c == null) break;
          Extension next = nextReceipt(vm, c.entry());
          if (next == Extension.ENDS) {
            p.setValue(Collections.emptyIterator());
            break;
          }
          if (next == Extension.NOT_YET) {
            waiting.put(vm, c);
            break;
          }
          extension[vm].add(c.entry());
          extendedReceivedFrom[vm][c.message().from()]++;
          grew = true;
        }
      }
    }
  }

  private enum Extension { TAKES, NOT_YET, ENDS }

  /** Whether receipt {@code e} extends the VM's state now, may once another VM's extension grows, or never. */
  private Extension nextReceipt(int vm, LogEntry e) {
    Message m = e.message();
    BoundaryRecord b = keeper.recordAt(vm, index[vm]);
    if (e.rsn() != extendedReceived(vm) + 1 || m.seq() != extendedReceivedFrom[vm][m.from()] + 1
        || e.position() < b.position()) {
      return Extension.ENDS;
    }
    if (held.holdsAll(m.from(), vm, m.seq(), m.seq())) return Extension.TAKES;
    // Else only its sender's re-execution can make it: a failed VM that sent it after its boundary.
    if (extension[m.from()] == null || m.seq() <= stableSentTo(m.from(), vm)) return Extension.ENDS;
    return resends(m.from(), vm, m.seq()) ? Extension.TAKES : Extension.NOT_YET;
  }

  boolean isExtended(int vm) {
    return extension[vm] != null;
  }

  /** The receipts that extend a VM's recovered state past its boundary (empty if it is not extended). */
  List<LogEntry> extensionOf(int vm) {
    return extension[vm] == null ? List.of() : List.copyOf(extension[vm]);
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

  /**
   * To the VM's next earlier recoverable state: from an extended state, the one with its last receipt taken back
   * (from one with none, the boundary it extends); from a boundary, the next earlier one on stable storage.
   */
  private void moveBack(int vm) {
    List<LogEntry> ext = extension[vm];
    if (ext != null && !ext.isEmpty()) {
      LogEntry last = ext.remove(ext.size() - 1);
      extendedReceivedFrom[vm][last.message().from()]--;
      return;
    }
    if (ext != null) {
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
