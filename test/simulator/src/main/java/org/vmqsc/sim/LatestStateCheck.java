package org.vmqsc.sim;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.vmqsc.agent.guest.PwdGuest;

/**
 * The oracle's brute-force judge of a host-failure plan, on ground truth only: of every global state the failure
 * leaves recoverable (each failed VM at a boundary state of its current execution on stable storage, each survivor
 * there or as it runs) and consistent (no orphan receipt; every message a rolled-back sender's state sent and its
 * receiver's state lacks, and every message a running sender sent that the receiver had received before the
 * failure but its state lacks, held by the stable log of late messages, the receiver's surviving host or a copy
 * on the sender's surviving host; and every message a failed VM's state sent after the line on stable storage,
 * since a later failure may need it again and nothing else outlives it), none may have any VM later than the
 * plan's, and the plan's own must be one of them. States behind the line are left out: joined with the line they
 * give a later one, so they never hide a later state.
 *
 * <p>With causal logging a failed VM also has the states past its latest stable boundary that the receipts live
 * hosts hold reach: after each of them, in order, with its message held, or sent again by its sender's own state
 * past its boundary; such a sender sends again what it sent after its boundary, each message of which some live
 * holder must know.
 */
final class LatestStateCheck {

  /** What the world knows, independently of the protocol's bookkeeping. */
  interface Truth {
    /** The VM's boundaries, from {@code line} on, whose state in its current execution is on stable storage. */
    List<Long> stableBoundaries(int vm, long line);

    /** The VM's state at boundary {@code index} of its current execution. */
    PwdGuest stateAt(int vm, long index);

    /**
     * Whether message #seq of channel from -> to of the current execution survives the failure somewhere: in the
     * stable log of late messages, in the volatile receive log the receiver's live host really keeps (a restore
     * starts that log afresh from the segments it replayed), or in a copy on the sender's live host.
     */
    boolean held(int from, int to, long seq);

    /** Whether it is in the stable log of late messages. */
    boolean stablyHeld(int from, int to, long seq);

    /**
     * Whether the failed host's VMs can be rebuilt past their boundaries (causal logging: their guests are
     * piecewise deterministic and their hosts carried receipts off).
     */
    default boolean rebuildsPastBoundaries() {
      return false;
    }

    /**
     * The states of failed VM {@code vm} past its stable boundary {@code index}: its execution after k = 0, 1, ...
     * of the receipts that followed it, just before the next one, for as long as a live host holds each of those
     * receipts (carried there). {@code failedAs}: the VM as it failed.
     */
    default List<Extended> extendedStates(int vm, long index, PwdGuest failedAs) {
      return List.of();
    }

    /** Whether some live holder knows message #seq of channel from -> to as sent (held, or named by a receipt). */
    default boolean known(int from, int to, long seq) {
      return held(from, to, seq);
    }
  }

  /** A VM's state past its boundary, and the receipts (sender, seq) it took to get there. */
  record Extended(PwdGuest state, List<Taken> taken) {}

  record Taken(int from, long seq) {}

  /** One state a VM may recover to: running, a boundary, or a boundary extended by receipts taken again. */
  private record Choice(long index, Extended extended) {
    boolean isRunning() {
      return index == RUNNING;
    }

    /** Whether this state comes after {@code other} in the VM's execution. */
    boolean isLaterThan(Choice other) {
      if (index != other.index) return index > other.index;
      if (other.extended == null) return extended != null;
      return extended != null && extended.taken().size() > other.extended.taken().size();
    }

    @Override public String toString() {
      return isRunning() ? "running" : extended == null ? Long.toString(index)
          : index + "+" + extended.taken().size() + " receipts";
    }
  }

  /** The largest number of global states tried; bigger searches are skipped. */
  static final long MAX_STATES = 40_000;
  private static final long RUNNING = Long.MAX_VALUE;

  private final int n;
  private final Truth truth;
  private final Consumer<String> fail;
  private final Consumer<String> notLatest;

  /** Both findings to {@code fail}. */
  LatestStateCheck(int n, Truth truth, Consumer<String> fail) {
    this(n, truth, fail, fail);
  }

  /**
   * @param fail      the plan's state is not consistent and recoverable: a safety violation
   * @param notLatest a later consistent recoverable state exists: the plan is safe but goes back further than it
   *                  must (maximality; the property test fails on it)
   */
  LatestStateCheck(int n, Truth truth, Consumer<String> fail, Consumer<String> notLatest) {
    this.n = n;
    this.truth = truth;
    this.fail = fail;
    this.notLatest = notLatest;
  }

  /**
   * @param current   the survivors' guests as they run
   * @param lastKnown every VM's guest as it last ran (a failed VM's at its failure)
   * @param planned per rolled-back VM, the boundary the plan restores it to
   * @param extent  per VM the plan rebuilds past that boundary (causal logging), the furthest state its
   *                re-execution may reach (its state before its first receipt the plan does not take again) and
   *                the receipts it takes again
   * @return whether the search ran (false when the group has too many recoverable states to try)
   */
  boolean check(Set<Integer> failed, List<Integer> survivors, PwdGuest[] current, PwdGuest[] lastKnown, long line,
                Map<Integer, Long> planned, Map<Integer, Extended> extent) {
    List<Integer> vms = new ArrayList<>(new TreeSet<>(failed));
    for (int vm : survivors) if (!failed.contains(vm)) vms.add(vm);
    List<List<Choice>> choices = new ArrayList<>();
    long states = 1;
    for (int vm : vms) {
      List<Choice> c = new ArrayList<>();
      if (!failed.contains(vm)) c.add(new Choice(RUNNING, null));
      List<Long> stable = truth.stableBoundaries(vm, line);
      for (long index : stable) c.add(new Choice(index, null));
      if (failed.contains(vm) && !stable.isEmpty() && truth.rebuildsPastBoundaries()) {
        long latest = Collections.max(stable);
        for (Extended e : truth.extendedStates(vm, latest, lastKnown[vm])) c.add(new Choice(latest, e));
      }
      choices.add(c);
      states *= Math.max(1, c.size());
      if (states > MAX_STATES) return false;
    }
    Choice[] plan = new Choice[n];
    for (int vm : vms) plan[vm] = new Choice(planned.getOrDefault(vm, RUNNING), extent.get(vm));
    String flaw = flaw(vms, failed, line, plan, current, lastKnown);
    if (flaw != null) {
      fail.accept("the plan's recovered state " + describe(vms, plan) + " is not consistent and recoverable: " + flaw);
    }
    Choice[] state = new Choice[n];
    for (long s = 0; s < states; s++) {
      long rest = s;
      boolean empty = false;
      for (int k = 0; k < vms.size(); k++) {
        List<Choice> c = choices.get(k);
        if (c.isEmpty()) { empty = true; break; }
        state[vms.get(k)] = c.get((int) (rest % c.size()));
        rest /= c.size();
      }
      if (empty) break;
      if (!later(vms, state, plan) || flaw(vms, failed, line, state, current, lastKnown) != null
          || !later(vms, asRestored(vms, state, current), plan)) {
        continue;
      }
      notLatest.accept("a later consistent recoverable state exists: " + describe(vms, state) + " where the plan has "
          + describe(vms, plan) + " (failed " + failed + ", line " + line + ")");
      return true;
    }
    return true;
  }

  /**
   * {@code state} as a restore carries it out: a VM past its boundary that takes no receipt again and whose sends
   * past the boundary no other VM's state holds is simply restored at its boundary, the same state for the group
   * (a plan names it so).
   */
  private Choice[] asRestored(List<Integer> vms, Choice[] state, PwdGuest[] current) {
    Choice[] out = state.clone();
    for (int vm : vms) {
      Extended e = state[vm].extended();
      if (e == null || !e.taken().isEmpty()) continue;
      PwdGuest base = baseOf(vm, state[vm], current);
      boolean heard = false;
      for (int other : vms) if (other != vm) heard |= atOf(other, state[other], current).received[vm] > base.sent[other];
      if (!heard) out[vm] = new Choice(state[vm].index(), null);
    }
    return out;
  }

  /** What a VM in state {@code c} sent that it will not send again: the guest at its boundary, or as it runs. */
  private PwdGuest baseOf(int vm, Choice c, PwdGuest[] current) {
    return c.isRunning() ? current[vm] : truth.stateAt(vm, c.index());
  }

  /** The VM's recovered state: past its boundary where {@code c} extends it, else its base. */
  private PwdGuest atOf(int vm, Choice c, PwdGuest[] current) {
    return c.extended() == null ? baseOf(vm, c, current) : c.extended().state();
  }

  /** Whether {@code state} has a VM later than the plan's. */
  private static boolean later(List<Integer> vms, Choice[] state, Choice[] plan) {
    for (int vm : vms) if (state[vm].isLaterThan(plan[vm])) return true;
    return false;
  }

  /** Why {@code state} is not consistent and recoverable, or null when it is. */
  private String flaw(List<Integer> vms, Set<Integer> failed, long line, Choice[] state, PwdGuest[] current,
                      PwdGuest[] lastKnown) {
    // at: each VM's recovered state; base: what it sent that it will not send again (a VM rebuilt past its
    // boundary sends again, by re-execution, everything after the boundary up to its extent).
    PwdGuest[] at = new PwdGuest[n];
    PwdGuest[] base = new PwdGuest[n];
    for (int vm : vms) {
      base[vm] = baseOf(vm, state[vm], current);
      if (base[vm] == null) return "VM " + vm + "'s state at " + state[vm] + " is unknown";
      at[vm] = atOf(vm, state[vm], current);
      if (at[vm] == null) return "VM " + vm + "'s state past its boundary " + state[vm] + " is unknown";
    }
    for (int sender : vms) {
      for (int receiver : vms) {
        if (sender == receiver) continue;
        long received = at[receiver].received[sender];
        long sent = at[sender].sent[receiver];
        if (received > sent) return "VM " + receiver + " received " + received + " from VM " + sender
            + ", which sent " + sent + " (an orphan receipt)";
        // A running sender's messages the receiver never got are on their way; those it had got need a holder.
        long needed = !state[sender].isRunning() ? base[sender].sent[receiver]
            : state[receiver].isRunning() || lastKnown[receiver] == null ? received : lastKnown[receiver].received[sender];
        for (long seq = received + 1; seq <= needed; seq++) {
          if (!truth.held(sender, receiver, seq)) {
            return "message #" + seq + " from VM " + sender + " to VM " + receiver + " is in transit and held nowhere";
          }
        }
        // An extended sender sends again what it sent after its boundary: someone must know each such message.
        if (state[sender].extended() != null) {
          for (long seq = base[sender].sent[receiver] + 1; seq <= received; seq++) {
            if (!truth.known(sender, receiver, seq)) {
              return "VM " + sender + " would send #" + seq + " to VM " + receiver + " again, but no holder knows it";
            }
          }
        }
      }
    }
    // An extended VM takes its receipts again: each message held, or sent again by its sender's extended state.
    for (int vm : vms) {
      if (state[vm].extended() == null) continue;
      for (Taken t : state[vm].extended().taken()) {
        if (truth.held(t.from(), vm, t.seq())) continue;
        Choice sender = state[t.from()];
        if (sender == null || sender.extended() == null || t.seq() <= base[t.from()].sent[vm]) {
          return "VM " + vm + " takes #" + t.seq() + " from VM " + t.from() + " again, but no log holds it and its"
              + " sender does not send it again";
        }
      }
    }
    for (int sender : failed) {
      for (int receiver = 0; receiver < n; receiver++) {
        PwdGuest atLine = truth.stateAt(receiver, line);
        if (receiver == sender || atLine == null) continue;
        for (long seq = atLine.received[sender] + 1; seq <= base[sender].sent[receiver]; seq++) {
          if (!truth.stablyHeld(sender, receiver, seq)) {
            return "message #" + seq + " from failed VM " + sender + " to VM " + receiver
                + ", sent after the line, is in no stable log (only a volatile log would hold it)";
          }
        }
      }
    }
    return null;
  }

  private String describe(List<Integer> vms, Choice[] state) {
    StringBuilder b = new StringBuilder("{");
    for (int vm : vms) {
      if (b.length() > 1) b.append(", ");
      b.append(vm).append(": ").append(state[vm]);
    }
    return b.append('}').toString();
  }
}
