package org.vmqsc.protocol.recovery;

import java.util.List;
import java.util.SortedSet;

/** The manager's answer to a host failure: roll {@code rolledBack} back to line {@code lineIndex}, like this. */
public record RecoveryPlan(long lineIndex, SortedSet<Integer> failed, SortedSet<Integer> rolledBack,
                           List<VmRestore> restores) {

  public int replayCount() {
    int n = 0;
    for (VmRestore r : restores) n += r.replays().size();
    return n;
  }
}
