package org.vmqsc.protocol.recovery;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import org.vmqsc.protocol.BoundaryRecord;
import org.vmqsc.protocol.GroupConfig;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.Message;
import org.vmqsc.protocol.host.SenderCopy;
import org.vmqsc.protocol.manager.LineKeeper;
import org.vmqsc.protocol.manager.RecoveryLine;

/**
 * Plans the recovery from a host failure (hole 5): which VMs roll back to the recovery line, what each restores,
 * and which messages each must receive again, in which order, from which log.
 *
 * <p>The VMs of the failed hosts lose their memory and roll back to the line. A surviving VM must follow exactly
 * when it has received a message that a rolled-back VM sent after the line, because that message would be an
 * orphan; that rule is applied until nothing changes, which gives the smallest set with no orphan (any VM it adds
 * would otherwise hold one). Every other VM keeps running untouched.
 *
 * <p>The messages to replay into a rolled-back VM are those its state at the line has not received but whose send
 * the restored global state contains: from a rolled-back sender, the ones it sent before the line (the line's
 * in-transit messages, all stably logged); from a surviving sender, all it received after the line (from its own
 * receive log if its host survived, else from the senders' copies). They are replayed in their original receive
 * order as far as a surviving log recorded it; one whose order died with the host follows its channel
 * predecessor, so every channel stays FIFO. A sender's copy is replayed even when the message may still be on
 * the wire: the receiving relay drops the later arrival as a duplicate (its seq is already delivered), so
 * nothing the planner cannot see is ever lost. Any such order is one an execution could have produced, and no
 * surviving state depends on the lost one.
 */
public final class RecoveryPlanner {

  private RecoveryPlanner() {}

  /**
   * @param failed    the VMs whose host failed (they run nowhere now)
   * @param stableInTransit the stable log of late messages, by receiver
   */
  public static RecoveryPlan planHostFailure(GroupConfig config, LineKeeper keeper, Set<Integer> failed,
                                             Survivors survivors, Map<Integer, List<LogEntry>> stableInTransit) {
    RecoveryLine line = keeper.line();
    if (line == null) throw new IllegalStateException("no recovery line yet: the group's first checkpoints are not stable");
    long n = line.index();
    SortedSet<Integer> rolledBack = minimalRollbackSet(config, keeper, failed, survivors);

    List<VmRestore> restores = new ArrayList<>();
    for (int vm : rolledBack) {
      BoundaryRecord lineState = keeper.recordAt(vm, n);
      List<Replay> replays = replaysInto(config, keeper, vm, lineState, rolledBack, survivors,
          stableInTransit.getOrDefault(vm, List.of()));
      restores.add(new VmRestore(vm, keeper.incarnation(vm) + 1, keeper.checkpointAt(vm, n),
          keeper.segmentsTo(vm, n), lineState, replays));
    }
    return new RecoveryPlan(n, new TreeSet<>(failed), rolledBack, restores);
  }

  /** The failed VMs plus, transitively, every survivor that received a message sent after the line by one of them. */
  public static SortedSet<Integer> minimalRollbackSet(GroupConfig config, LineKeeper keeper, Set<Integer> failed,
                                                      Survivors survivors) {
    long n = keeper.line().index();
    SortedSet<Integer> set = new TreeSet<>(failed);
    boolean grew = true;
    while (grew) {
      grew = false;
      for (int j : survivors.vms()) {
        if (set.contains(j)) continue;
        long[] received = survivors.receivedFrom(j);
        for (int i : set) {
          if (received[i] > keeper.recordAt(i, n).sentTo(j)) {
            set.add(j);
            grew = true;
            break;
          }
        }
        if (grew) break; // restart: the set changed while we iterated over it
      }
    }
    return set;
  }

  private static List<Replay> replaysInto(GroupConfig config, LineKeeper keeper, int vm, BoundaryRecord lineState,
                                          Set<Integer> rolledBack, Survivors survivors, List<LogEntry> stable) {
    long n = lineState.index();
    // Per channel, the replays by seq; the first source that has a message wins, best-ordered source first.
    Map<Integer, TreeMap<Long, Replay>> byChannel = new TreeMap<>();
    for (int from = 0; from < config.size(); from++) {
      if (from != vm) byChannel.put(from, new TreeMap<>());
    }
    // Logs may still hold what a discarded execution sent; never replay that.
    java.util.function.Predicate<Message> current = m -> !keeper.isStale(m);
    // An rsn orders replays only if the receiver's current incarnation assigned it.
    int receiver = keeper.incarnation(vm);
    for (LogEntry e : stable) {
      if (current.test(e.message())) {
        offer(byChannel, e.message(), ReplaySource.STABLE_IN_TRANSIT, e.incarnation() == receiver ? e.rsn() : -1);
      }
    }
    for (LogEntry e : survivors.receiveLog(vm)) {
      if (current.test(e.message())) offer(byChannel, e.message(), ReplaySource.RECEIVER_LOG, e.rsn());
    }
    for (SenderCopy c : survivors.copiesTo(vm)) {
      if (current.test(c.message())) {
        offer(byChannel, c.message(), ReplaySource.SENDER_COPY, c.receiverIncarnation() == receiver ? c.rsn() : -1);
      }
    }

    // Per channel, in seq order, each replay with its sort key: its original rsn where known, else its channel
    // predecessor's key, so that merging the channels by key keeps every channel FIFO.
    List<Replay> replays = new ArrayList<>();
    Map<Replay, Long> keys = new java.util.HashMap<>();
    for (Map.Entry<Integer, TreeMap<Long, Replay>> channel : byChannel.entrySet()) {
      int from = channel.getKey();
      long first = lineState.receivedFrom(from) + 1;
      long last = rolledBack.contains(from) ? keeper.recordAt(from, n).sentTo(vm) : Long.MAX_VALUE;
      long expected = first;
      long key = 0;
      if (last >= first) {
        for (Replay r : channel.getValue().subMap(first, true, last, true).values()) {
          if (r.message().seq() != expected) break; // the rest is still on the wire and will arrive by itself
          key = Math.max(key, r.originalRsn());
          keys.put(r, key);
          replays.add(r);
          expected++;
        }
      }
      if (rolledBack.contains(from) && expected <= last) {
        throw new IllegalStateException("line " + n + " leaves messages #" + expected + ".." + last + " of channel "
            + from + "->" + vm + " in transit but no stable log holds them");
      }
    }
    replays.sort(Comparator.comparingLong((Replay r) -> keys.get(r))
        .thenComparingInt(r -> r.message().from()).thenComparingLong(r -> r.message().seq()));
    return replays;
  }

  private static void offer(Map<Integer, TreeMap<Long, Replay>> byChannel, Message m, ReplaySource source, long rsn) {
    TreeMap<Long, Replay> channel = byChannel.get(m.from());
    Replay known = channel.get(m.seq());
    if (known == null || (known.originalRsn() <= 0 && rsn > 0)) channel.put(m.seq(), new Replay(m, source, rsn));
  }
}
