package org.vmqsc.sim;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.vmqsc.protocol.BoundaryRecord;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.manager.Collectible;

/** The simulated stable storage: guest snapshots of checkpoints, log segments, and late messages. Survives hosts. */
final class StableStore {
  private record Key(int vm, long index, int incarnation) {
    static Key of(BoundaryRecord r) {
      return new Key(r.vm(), r.index(), r.incarnation());
    }
  }

  private final Map<Key, Guest> checkpoints = new HashMap<>();
  private final Map<Key, List<LogEntry>> segments = new HashMap<>();
  /** Late messages by receiver, then channel sender, then seq. */
  private final Map<Integer, Map<Integer, TreeMap<Long, LogEntry>>> inTransit = new TreeMap<>();

  void putCheckpoint(BoundaryRecord r, Guest snapshot) {
    checkpoints.put(Key.of(r), snapshot);
  }

  Guest checkpoint(BoundaryRecord r) {
    return checkpoints.get(Key.of(r));
  }

  boolean hasCheckpoint(BoundaryRecord r) {
    return checkpoints.containsKey(Key.of(r));
  }

  void putSegment(BoundaryRecord r, List<LogEntry> entries) {
    segments.put(Key.of(r), List.copyOf(entries));
  }

  List<LogEntry> segment(BoundaryRecord r) {
    return segments.get(Key.of(r));
  }

  void putInTransit(LogEntry e) {
    inTransit.computeIfAbsent(e.message().to(), k -> new TreeMap<>())
        .computeIfAbsent(e.message().from(), k -> new TreeMap<>()).put(e.message().seq(), e);
  }

  Map<Integer, List<LogEntry>> inTransitByReceiver() {
    Map<Integer, List<LogEntry>> out = new HashMap<>();
    inTransit.forEach((to, bySender) -> {
      List<LogEntry> all = new ArrayList<>();
      bySender.values().forEach(ch -> all.addAll(ch.values()));
      out.put(to, all);
    });
    return out;
  }

  /** Deletes what the manager found behind the line; returns how many objects went. */
  int collect(Collectible c) {
    int n = 0;
    for (BoundaryRecord r : c.checkpoints()) n += checkpoints.remove(Key.of(r)) != null ? 1 : 0;
    for (BoundaryRecord r : c.segments()) n += segments.remove(Key.of(r)) != null ? 1 : 0;
    for (Collectible.ChannelRange range : c.inTransit()) {
      TreeMap<Long, LogEntry> ch = inTransit.getOrDefault(range.to(), Map.of()).get(range.from());
      if (ch != null) {
        Map<Long, LogEntry> behind = ch.headMap(range.toSeq(), true);
        n += behind.size();
        behind.clear();
      }
    }
    return n;
  }
}
