package org.vmqsc.protocol.manager;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.vmqsc.protocol.BoundaryRecord;
import org.vmqsc.protocol.GroupConfig;
import org.vmqsc.protocol.Message;
import org.vmqsc.protocol.Rollbacks;
import org.vmqsc.protocol.manager.Collectible.ChannelRange;

/**
 * The manager's rules: staged and stable reports in, the recovery line out. In memory, single-threaded, pure;
 * a persistent keeper rebuilds one from its rows or keeps one per group behind a lock.
 *
 * <p>The line moves to index n when, for every VM, its state at n is on stable storage (its checkpoint n, or its
 * last checkpoint before n plus every log segment up to n, all stable; hole 3) and every message that line n
 * leaves in transit is stably logged (hole 1). The counters in the reports tell how many messages each channel
 * holds in transit, so a message still on the wire holds the line back instead of being lost. The line jumps to
 * the highest index that qualifies and never moves backwards.
 *
 * <p>Reports are idempotent: a report or a stable mark delivered twice changes nothing; a stable mark that arrives
 * before its report is kept until the report comes; reports of an incarnation a recovery discarded are ignored.
 */
public final class LineKeeper {

  private static final class Slot {
    BoundaryRecord record;
    boolean stable;
  }

  private record StableMark(int vm, long index, int incarnation) {}

  private final GroupConfig config;
  private final int[] incarnation;
  private final List<NavigableMap<Long, Slot>> records = new ArrayList<>();
  private final Set<StableMark> earlyMarks = new HashSet<>();
  /** Per channel (from * n + to): seqs of late messages stably logged by the receiver's host. */
  private final Map<Integer, TreeSet<Long>> inTransit = new TreeMap<>();
  /** To recognise stale in-transit reports and logs. */
  private final Rollbacks rollbacks = new Rollbacks();
  private RecoveryLine line;

  public LineKeeper(GroupConfig config) {
    this.config = config;
    this.incarnation = new int[config.size()];
    for (int i = 0; i < config.size(); i++) records.add(new TreeMap<>());
  }

  // ---- reports -----------------------------------------------------------------------------------------------

  /** A host reports a checkpoint or log segment (staged on the host). */
  public void record(BoundaryRecord r) {
    checkVm(r.vm());
    if (r.incarnation() < incarnation[r.vm()]) return;
    if (r.incarnation() > incarnation[r.vm()]) {
      throw new IllegalArgumentException(r + " names incarnation " + r.incarnation() + " but VM " + r.vm()
          + " is at incarnation " + incarnation[r.vm()] + ": no recovery announced it");
    }
    if (line != null && r.index() < line.index()) return; // behind the line: nothing left to decide
    Slot slot = records.get(r.vm()).computeIfAbsent(r.index(), k -> new Slot());
    if (slot.record != null) {
      if (!slot.record.equals(r)) {
        throw new IllegalArgumentException("conflicting reports for VM " + r.vm() + " at index " + r.index()
            + ": " + slot.record + " then " + r);
      }
      return;
    }
    slot.record = r;
    slot.stable = earlyMarks.remove(new StableMark(r.vm(), r.index(), r.incarnation()));
  }

  /** The checkpoint or segment of {@code vm} at {@code index} reached stable storage. */
  public void markStable(int vm, long index, int incarnation) {
    checkVm(vm);
    if (incarnation < this.incarnation[vm]) return;
    Slot slot = records.get(vm).get(index);
    if (slot != null && slot.record != null && slot.record.incarnation() == incarnation) {
      slot.stable = true;
    } else if (line == null || index >= line.index()) {
      earlyMarks.add(new StableMark(vm, index, incarnation));
    }
  }

  /** The receiver's host wrote a late message to stable storage. */
  public void markInTransitLogged(Message m) {
    checkVm(m.from());
    checkVm(m.to());
    if (rollbacks.isStale(m)) return;
    inTransit.computeIfAbsent(channel(m.from(), m.to()), k -> new TreeSet<>()).add(m.seq());
  }

  /** Whether m was sent by an execution of its sender that a recovery discarded. */
  public boolean isStale(Message m) {
    return rollbacks.isStale(m);
  }

  // ---- the line ----------------------------------------------------------------------------------------------

  /** Moves the line as far as the stable reports allow; returns the new line if it moved. */
  public Optional<RecoveryLine> advance() {
    long from = line == null ? 0 : line.index() + 1;
    long highest = Long.MAX_VALUE;
    for (NavigableMap<Long, Slot> r : records) highest = Math.min(highest, r.isEmpty() ? -1 : r.lastKey());
    for (long n = highest; n >= from; n--) {
      if (holds(n)) {
        line = lineAt(n);
        return Optional.of(line);
      }
    }
    return Optional.empty();
  }

  /** The current recovery line, or null before the first one (every VM's checkpoint 0 stable). */
  public RecoveryLine line() {
    return line;
  }

  private boolean holds(long n) {
    for (int vm = 0; vm < config.size(); vm++) {
      if (!stableStateAt(vm, n)) return false;
    }
    for (int i = 0; i < config.size(); i++) {
      for (int j = 0; j < config.size(); j++) {
        if (i == j) continue;
        long received = recordAt(j, n).receivedFrom(i);
        long sent = recordAt(i, n).sentTo(j);
        if (received > sent) {
          throw new IllegalStateException("orphan at index " + n + ": VM " + j + " received " + received
              + " messages from VM " + i + " which had sent " + sent);
        }
        if (received < sent) {
          TreeSet<Long> logged = inTransit.get(channel(i, j));
          if (logged == null || logged.subSet(received, false, sent, true).size() != sent - received) return false;
        }
      }
    }
    return true;
  }

  /** Whether the VM's state at index n can be rebuilt from stable storage alone. */
  public boolean isStableAt(int vm, long n) {
    checkVm(vm);
    return stableStateAt(vm, n);
  }

  /**
   * The indexes from the line on at which the VM's state can be rebuilt from stable storage, highest first: the
   * states a recovery may restore it to. The line's own index is always among them once there is a line.
   */
  public List<Long> stableIndexesFromLine(int vm) {
    checkVm(vm);
    List<Long> out = new ArrayList<>();
    if (line == null) return out;
    for (long n : records.get(vm).tailMap(line.index(), true).descendingKeySet()) {
      if (stableStateAt(vm, n)) out.add(n);
    }
    return out;
  }

  private boolean stableStateAt(int vm, long n) {
    NavigableMap<Long, Slot> r = records.get(vm);
    long expected = n;
    for (Map.Entry<Long, Slot> e : r.headMap(n, true).descendingMap().entrySet()) {
      // Every boundary from the checkpoint up to n must be reported: a report still missing in between (out of
      // order delivery) may be a later checkpoint, or a segment the replay needs.
      if (e.getKey() != expected) return false;
      Slot s = e.getValue();
      if (s.record == null || !s.stable) return false;
      if (s.record.isCheckpoint()) return true;
      expected--;
    }
    return false;
  }

  private RecoveryLine lineAt(long n) {
    long[] checkpoints = new long[config.size()];
    for (int vm = 0; vm < config.size(); vm++) checkpoints[vm] = checkpointAt(vm, n).index();
    return new RecoveryLine(n, checkpoints);
  }

  // ---- what recovery and collection read ---------------------------------------------------------------------

  /** The VM's report at index n (its state at that boundary). */
  public BoundaryRecord recordAt(int vm, long n) {
    Slot s = records.get(vm).get(n);
    if (s == null || s.record == null) throw new IllegalStateException("no report for VM " + vm + " at index " + n);
    return s.record;
  }

  /** The VM's latest report, staged or stable, or null: the furthest its current execution is known to have got. */
  public BoundaryRecord latestRecord(int vm) {
    checkVm(vm);
    for (Slot s : records.get(vm).descendingMap().values()) if (s.record != null) return s.record;
    return null;
  }

  /** The checkpoint a VM restores to reach its state at index n: its latest with CSN <= n. */
  public BoundaryRecord checkpointAt(int vm, long n) {
    for (Slot s : records.get(vm).headMap(n, true).descendingMap().values()) {
      if (s.record != null && s.record.isCheckpoint()) return s.record;
    }
    throw new IllegalStateException("VM " + vm + " has no checkpoint at or before index " + n);
  }

  /** The log segments that take a VM from its checkpoint at or before n to its state at n, in order. */
  public List<BoundaryRecord> segmentsTo(int vm, long n) {
    long c = checkpointAt(vm, n).index();
    List<BoundaryRecord> out = new ArrayList<>();
    for (Slot s : records.get(vm).subMap(c, false, n, true).values()) out.add(s.record);
    return out;
  }

  public int incarnation(int vm) {
    return incarnation[vm];
  }

  /** Everything behind the current line. */
  public Collectible collectible() {
    return collectible(0);
  }

  /**
   * What lies behind the current line, except, per VM, its {@code keptBehind} latest checkpoints before its line
   * checkpoint and the log segments after the oldest of those (kept for an administrator, not for recovery: no
   * recovery goes back behind the line). Messages in transit at the line are collectable all the same.
   */
  public Collectible collectible(int keptBehind) {
    if (keptBehind < 0) throw new IllegalArgumentException("cannot keep " + keptBehind + " checkpoints behind the line");
    List<BoundaryRecord> checkpoints = new ArrayList<>();
    List<BoundaryRecord> segments = new ArrayList<>();
    List<ChannelRange> ranges = new ArrayList<>();
    if (line == null) return new Collectible(checkpoints, segments, ranges);
    for (int vm = 0; vm < config.size(); vm++) {
      for (Slot s : records.get(vm).headMap(keptFrom(vm, keptBehind), false).values()) {
        if (s.record != null) (s.record.isCheckpoint() ? checkpoints : segments).add(s.record);
      }
    }
    for (Map.Entry<Integer, TreeSet<Long>> e : inTransit.entrySet()) {
      int from = e.getKey() / config.size();
      int to = e.getKey() % config.size();
      long receivedAtLine = recordAt(to, line.index()).receivedFrom(from);
      TreeSet<Long> behind = new TreeSet<>(e.getValue().headSet(receivedAtLine, true));
      if (!behind.isEmpty()) ranges.add(new ChannelRange(from, to, behind.first(), behind.last()));
    }
    return new Collectible(checkpoints, segments, ranges);
  }

  /** Forgets what {@link #collectible()} returned (after the stores deleted it). */
  public void collect() {
    collect(0);
  }

  /** Forgets what {@link #collectible(int)} returned for {@code keptBehind}. */
  public void collect(int keptBehind) {
    if (line == null) return;
    for (int vm = 0; vm < config.size(); vm++) records.get(vm).headMap(keptFrom(vm, keptBehind), false).clear();
    for (Map.Entry<Integer, TreeSet<Long>> e : inTransit.entrySet()) {
      int from = e.getKey() / config.size();
      int to = e.getKey() % config.size();
      e.getValue().headSet(recordAt(to, line.index()).receivedFrom(from), true).clear();
    }
  }

  /** The index from which a VM's records stay: its {@code keptBehind}-th latest checkpoint before its line one. */
  private long keptFrom(int vm, int keptBehind) {
    long from = line.checkpointOf(vm);
    int kept = 0;
    for (Slot s : records.get(vm).headMap(from, false).descendingMap().values()) {
      if (kept == keptBehind) break;
      if (s.record != null && s.record.isCheckpoint()) {
        from = s.record.index();
        kept++;
      }
    }
    return from;
  }

  // ---- recovery ----------------------------------------------------------------------------------------------

  /** A recovery rolled {@code vm} back to the current line under a new incarnation. */
  public void rollback(int vm, int newIncarnation) {
    rollback(vm, newIncarnation, line.index());
  }

  /**
   * A recovery rolled {@code vm} back to its state at {@code toIndex} (at or after the line) under a new
   * incarnation: forget the reports of the discarded execution (everything after that index) and the in-transit
   * messages it sent after that state.
   */
  public void rollback(int vm, int newIncarnation, long toIndex) {
    checkVm(vm);
    if (toIndex < line.index()) {
      throw new IllegalArgumentException("VM " + vm + " cannot roll back to index " + toIndex + ", behind the line "
          + line.index());
    }
    if (newIncarnation <= incarnation[vm]) {
      throw new IllegalArgumentException("VM " + vm + " is already at incarnation " + incarnation[vm]);
    }
    incarnation[vm] = newIncarnation;
    long[] sentAtLine = recordAt(vm, toIndex).sentTo();
    records.get(vm).tailMap(toIndex, false).clear();
    earlyMarks.removeIf(m -> m.vm() == vm && m.incarnation() < newIncarnation);
    rollbacks.add(vm, newIncarnation, sentAtLine);
    for (int to = 0; to < config.size(); to++) {
      TreeSet<Long> logged = inTransit.get(channel(vm, to));
      if (logged != null) logged.tailSet(sentAtLine[to], false).clear();
    }
  }

  private int channel(int from, int to) {
    return from * config.size() + to;
  }

  private void checkVm(int vm) {
    if (vm < 0 || vm >= config.size()) {
      throw new IllegalArgumentException("unknown VM " + vm + ": the group has VMs 0.." + (config.size() - 1));
    }
  }
}
