package org.vmqsc.protocol.recovery;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import org.vmqsc.protocol.CarriedReceipt;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.host.SenderCopy;

/** The surviving hosts' snapshots, merged, as the planner reads them. VMs in {@code failed} are not survivors. */
public final class SnapshotSurvivors implements Survivors {

  private final SortedSet<Integer> running = new TreeSet<>();
  private final Map<Integer, long[]> receivedFrom = new HashMap<>();
  private final Map<Integer, List<LogEntry>> receiveLogs = new HashMap<>();
  private final Map<Integer, List<SenderCopy>> copies = new HashMap<>();
  private final Map<Integer, java.util.TreeMap<Long, CarriedReceipt>> carried = new HashMap<>();
  private final boolean carryReceipts;

  public SnapshotSurvivors(Collection<HostSnapshot> snapshots, Set<Integer> failed) {
    boolean all = !snapshots.isEmpty();
    for (HostSnapshot s : snapshots) {
      all &= s.carriesReceipts();
      // One receipt per rsn (see CarriedReceipt.supersedes).
      s.carried().forEach((vm, list) -> {
        java.util.TreeMap<Long, CarriedReceipt> byRsn = carried.computeIfAbsent(vm, k -> new java.util.TreeMap<>());
        for (CarriedReceipt c : list) if (c.supersedes(byRsn.get(c.entry().rsn()))) byRsn.put(c.entry().rsn(), c);
      });
      for (int vm : s.running()) if (!failed.contains(vm)) running.add(vm);
      receivedFrom.putAll(s.receivedFrom());
      receiveLogs.putAll(s.receiveLogs());
      s.copies().forEach((to, list) -> copies.computeIfAbsent(to, k -> new ArrayList<>()).addAll(list));
    }
    carryReceipts = all;
  }

  @Override public boolean carryReceipts() {
    return carryReceipts;
  }

  @Override public List<CarriedReceipt> carriedReceipts(int vm) {
    java.util.TreeMap<Long, CarriedReceipt> byRsn = carried.get(vm);
    return byRsn == null ? List.of() : List.copyOf(byRsn.values());
  }

  @Override public Set<Integer> vms() {
    return Collections.unmodifiableSortedSet(running);
  }

  @Override public long[] receivedFrom(int vm) {
    long[] r = receivedFrom.get(vm);
    if (r == null) throw new IllegalArgumentException("no surviving host reported VM " + vm);
    return r.clone();
  }

  @Override public List<LogEntry> receiveLog(int vm) {
    return receiveLogs.getOrDefault(vm, List.of());
  }

  @Override public List<SenderCopy> copiesTo(int vm) {
    return copies.getOrDefault(vm, List.of());
  }
}
