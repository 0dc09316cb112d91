package org.vmqsc.protocol.recovery;

import java.util.List;
import java.util.SortedSet;

/**
 * The manager's answer to a host failure: roll {@code rolledBack} back, each to the state its restore names (at or
 * after line {@code lineIndex}, the stored line the plan was made on), like this.
 */
public record RecoveryPlan(long lineIndex, SortedSet<Integer> failed, SortedSet<Integer> rolledBack,
                           List<VmRestore> restores) {

  /**
   * The messages the plan may take from the stable log of late messages: its replays from there, and every
   * receipt an extended VM takes again (those the stable log holds come from there when no host keeps them).
   */
  public java.util.Set<org.vmqsc.protocol.Message> stablyLoggedReplays() {
    java.util.Set<org.vmqsc.protocol.Message> out = new java.util.HashSet<>();
    for (VmRestore r : restores) {
      for (Replay replay : r.replays()) {
        if (replay.source() == ReplaySource.STABLE_IN_TRANSIT) out.add(replay.message());
      }
      for (org.vmqsc.protocol.LogEntry e : r.extension()) out.add(e.message());
    }
    return out;
  }

  public int replayCount() {
    int n = 0;
    for (VmRestore r : restores) n += r.replays().size();
    return n;
  }
}
