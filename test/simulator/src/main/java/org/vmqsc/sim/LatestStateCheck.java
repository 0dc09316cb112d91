package org.vmqsc.sim;

import java.util.ArrayList;
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
 * since a later failure may need it again and nothing else outlives it), none may have any VM later than the plan's, and the plan's own must be one of them. States behind the
 * line are left out: joined with the line they give a later one, so they never hide a later state.
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
   *                re-execution may reach: its state before its first receipt the plan does not take again
   * @return whether the search ran (false when the group has too many recoverable states to try)
   */
  boolean check(Set<Integer> failed, List<Integer> survivors, PwdGuest[] current, PwdGuest[] lastKnown, long line,
                Map<Integer, Long> planned, Map<Integer, PwdGuest> extent) {
    List<Integer> vms = new ArrayList<>(new TreeSet<>(failed));
    for (int vm : survivors) if (!failed.contains(vm)) vms.add(vm);
    long[][] choices = new long[vms.size()][];
    long states = 1;
    for (int k = 0; k < vms.size(); k++) {
      int vm = vms.get(k);
      List<Long> stable = truth.stableBoundaries(vm, line);
      boolean survives = !failed.contains(vm);
      choices[k] = new long[stable.size() + (survives ? 1 : 0)];
      int c = 0;
      if (survives) choices[k][c++] = RUNNING;
      for (long index : stable) choices[k][c++] = index;
      states *= Math.max(1, choices[k].length);
      if (states > MAX_STATES) return false;
    }
    long[] plan = new long[n];
    for (int k = 0; k < vms.size(); k++) plan[vms.get(k)] = planned.getOrDefault(vms.get(k), RUNNING);
    String flaw = flaw(vms, failed, line, plan, current, lastKnown, extent);
    if (flaw != null) {
      fail.accept("the plan's recovered state " + describe(vms, plan) + " is not consistent and recoverable: " + flaw);
    }
    long[] state = new long[n];
    int[] pick = new int[vms.size()];
    for (long s = 0; s < states; s++) {
      long rest = s;
      boolean empty = false;
      for (int k = 0; k < vms.size(); k++) {
        if (choices[k].length == 0) { empty = true; break; }
        pick[k] = (int) (rest % choices[k].length);
        rest /= choices[k].length;
        state[vms.get(k)] = choices[k][pick[k]];
      }
      if (empty) break;
      if (!later(vms, state, plan, extent) || flaw(vms, failed, line, state, current, lastKnown, Map.of()) != null) {
        continue;
      }
      notLatest.accept("a later consistent recoverable state exists: " + describe(vms, state) + " where the plan has "
          + describe(vms, plan) + " (failed " + failed + ", line " + line + ")");
      return true;
    }
    return true;
  }

  /** Whether a boundary-only state has a VM later than the plan's (a VM rebuilt past its boundary is later). */
  private static boolean later(List<Integer> vms, long[] state, long[] plan, Map<Integer, PwdGuest> extent) {
    for (int vm : vms) {
      if (state[vm] > plan[vm] && !(extent.containsKey(vm) && state[vm] != RUNNING)) return true;
    }
    return false;
  }

  /** Why {@code state} is not consistent and recoverable, or null when it is. */
  private String flaw(List<Integer> vms, Set<Integer> failed, long line, long[] state, PwdGuest[] current,
                      PwdGuest[] lastKnown, Map<Integer, PwdGuest> extent) {
    // at: each VM's recovered state; base: what it sent that it will not send again (a VM rebuilt past its
    // boundary sends again, by re-execution, everything after the boundary up to its extent).
    PwdGuest[] at = new PwdGuest[n];
    PwdGuest[] base = new PwdGuest[n];
    for (int vm : vms) {
      base[vm] = state[vm] == RUNNING ? current[vm] : truth.stateAt(vm, state[vm]);
      if (base[vm] == null) return "VM " + vm + "'s state at " + state[vm] + " is unknown";
      at[vm] = extent.getOrDefault(vm, base[vm]);
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
        long needed = state[sender] != RUNNING ? base[sender].sent[receiver]
            : state[receiver] == RUNNING || lastKnown[receiver] == null ? received : lastKnown[receiver].received[sender];
        for (long seq = received + 1; seq <= needed; seq++) {
          if (!truth.held(sender, receiver, seq)) {
            return "message #" + seq + " from VM " + sender + " to VM " + receiver + " is in transit and held nowhere";
          }
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

  private String describe(List<Integer> vms, long[] state) {
    StringBuilder b = new StringBuilder("{");
    for (int vm : vms) {
      if (b.length() > 1) b.append(", ");
      b.append(vm).append(state[vm] == RUNNING ? ": running" : ": " + state[vm]);
    }
    return b.append('}').toString();
  }
}
