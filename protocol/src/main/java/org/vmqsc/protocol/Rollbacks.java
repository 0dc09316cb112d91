package org.vmqsc.protocol;

import java.util.Map;
import java.util.TreeMap;

/**
 * The rollbacks announced so far, enough to tell a message of a discarded execution from a good one: after VM i
 * rolls back to the line under incarnation k, any message it sent under an older incarnation beyond what it had
 * sent at the line is stale. The hosts' relays and the manager keep one each.
 */
public final class Rollbacks {
  /** Per VM: by new incarnation, the VM's per-channel sent counters at the line it rolled back to. */
  private final Map<Integer, TreeMap<Integer, long[]>> byVm = new TreeMap<>();

  public void add(int vm, int newIncarnation, long[] sentToAtLine) {
    byVm.computeIfAbsent(vm, k -> new TreeMap<>()).put(newIncarnation, sentToAtLine.clone());
  }

  /** Whether m was sent by an execution of its sender that a recovery discarded. */
  public boolean isStale(Message m) {
    TreeMap<Integer, long[]> rollbacks = byVm.get(m.from());
    if (rollbacks == null) return false;
    for (long[] sentAtLine : rollbacks.tailMap(m.incarnation(), false).values()) {
      if (m.seq() > sentAtLine[m.to()]) return true;
    }
    return false;
  }
}
