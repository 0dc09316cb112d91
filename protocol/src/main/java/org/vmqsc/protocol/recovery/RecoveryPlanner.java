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
 * Plans the recovery from a host failure (hole 5): the state each VM recovers to, which VMs roll back, what each
 * restores, and which messages each must receive again, in which order, from which log.
 *
 * <p>The recovered state is the latest one the failure leaves recoverable ({@link LatestRecoverableState}): each
 * failed VM at its latest state on stable storage, each survivor as it runs, and a VM moved back to an earlier
 * stable state only as far as an orphan receipt, or a message in transit that no surviving log holds, forces it.
 * Every VM not moved back keeps running untouched. The stored recovery line is a lower bound: the search never
 * goes behind it, and the plan names it as the line it was made on.
 *
 * <p>The messages to replay into a rolled-back VM are those its recovered state has not received but whose send
 * the recovered global state contains: from a rolled-back sender, the ones its recovered state sent (all held by
 * a log, or the search would have moved it back); from a surviving sender, all it received after its recovered
 * state (from its own receive log if its host survived, else from the senders' copies). They are replayed in
 * their original receive order as far as a surviving log recorded it; one whose order died with the host follows
 * its channel predecessor, so every channel stays FIFO. A sender's copy is replayed even when the message may
 * still be on the wire: the receiving relay drops the later arrival as a duplicate (its seq is already
 * delivered), so nothing the planner cannot see is ever lost. Any such order is one an execution could have
 * produced, and no surviving state depends on the lost one.
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
    HeldMessages held = new HeldMessages(config.size(), survivors, stableInTransit, keeper::isStale);
    LatestRecoverableState state = LatestRecoverableState.find(config.size(), keeper, failed, survivors, held);
    SortedSet<Integer> rolledBack = state.rolledBack();

    List<VmRestore> restores = new ArrayList<>();
    for (int vm : rolledBack) {
      long n = state.indexOf(vm);
      BoundaryRecord recovered = keeper.recordAt(vm, n);
      List<Replay> replays = replaysInto(config, keeper, vm, recovered, state, survivors,
          stableInTransit.getOrDefault(vm, List.of()));
      restores.add(new VmRestore(vm, keeper.incarnation(vm) + 1, keeper.checkpointAt(vm, n),
          keeper.segmentsTo(vm, n), recovered, replays, state.extensionOf(vm), resends(config, vm, state, held)));
    }
    return new RecoveryPlan(line.index(), new TreeSet<>(failed), rolledBack, restores);
  }

  /**
   * The messages an extended VM sends again: on each channel, those after its stable state up to the last one the
   * receiver's recovered state holds, as the holders have them (the index each was sent at included).
   */
  private static List<Message> resends(GroupConfig config, int vm, LatestRecoverableState state, HeldMessages held) {
    if (!state.isExtended(vm)) return List.of();
    List<Message> out = new ArrayList<>();
    for (int to = 0; to < config.size(); to++) {
      if (to == vm || !state.hasState(to)) continue;
      long upTo = state.receivedFrom(to, vm);
      for (long seq = state.stableSentTo(vm, to) + 1; seq <= upTo; seq++) {
        Message m = held.find(vm, to, seq);
        if (m == null) throw new IllegalStateException("VM " + to + "'s recovered state received " + vm + "'s #"
            + seq + " but no holder says what it was");
        out.add(m);
      }
    }
    return out;
  }

  private static List<Replay> replaysInto(GroupConfig config, LineKeeper keeper, int vm, BoundaryRecord recovered,
                                          LatestRecoverableState state, Survivors survivors, List<LogEntry> stable) {
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
      boolean senderRollsBack = state.rollsBack(from);
      long first = state.receivedFrom(vm, from) + 1; // the extension, if any, included
      long last = senderRollsBack ? keeper.recordAt(from, state.indexOf(from)).sentTo(vm) : Long.MAX_VALUE;
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
      if (senderRollsBack && expected <= last) {
        throw new IllegalStateException("the recovered state leaves messages #" + expected + ".." + last
            + " of channel " + from + "->" + vm + " in transit but no log holds them");
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
