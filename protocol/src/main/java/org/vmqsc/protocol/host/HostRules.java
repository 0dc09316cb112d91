package org.vmqsc.protocol.host;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.vmqsc.protocol.BoundaryKind;
import org.vmqsc.protocol.BoundaryRecord;
import org.vmqsc.protocol.EarlyIndexPolicy;
import org.vmqsc.protocol.GroupConfig;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.Message;
import org.vmqsc.protocol.Rollbacks;
import org.vmqsc.protocol.host.HostAction.Acknowledge;
import org.vmqsc.protocol.host.HostAction.Deliver;
import org.vmqsc.protocol.host.HostAction.Drop;
import org.vmqsc.protocol.host.HostAction.DropReason;
import org.vmqsc.protocol.host.HostAction.TakeCheckpoint;
import org.vmqsc.protocol.host.HostAction.WriteInTransit;
import org.vmqsc.protocol.host.HostAction.WriteLogSegment;

/**
 * The VM_QSC rules of one host (its hypervisor and message relay) for the VMs of one group it runs. An event-in,
 * actions-out state machine: the caller feeds it boundary ticks of the host clock, sends, arrivals,
 * acknowledgements and the manager's line moves, and carries out the actions it returns. No I/O, no clock.
 *
 * <p>Where the paper is silent, the choices are (numbers refer to the holes in the README):
 * <ol>
 *   <li>a message that arrives with a lower CSN than the receiver's index is late: it is in transit across every
 *       line between the two, so it is written to stable storage at once (WriteInTransit), and the manager does
 *       not move the line past it before that write is stable;</li>
 *   <li>receive logs are not dropped at the receiver's own checkpoint but kept until the recovery line has passed
 *       them too, because a host failure elsewhere can roll the VM back to the line, and the messages it received
 *       after the line from same-host senders exist nowhere else;</li>
 *   <li>a VM failure restores the latest checkpoint written on the host (staged); the line only uses stable ones;</li>
 *   <li>every log entry carries its rsn and the guest's position at delivery, and a cross-host copy is annotated
 *       with them by an acknowledgement (batched once per base period), so replay reproduces the receive order;</li>
 *   <li>see {@link EarlyIndexPolicy}.</li>
 * </ol>
 */
public final class HostRules {

  private final GroupConfig config;
  private final Map<Integer, VmLedger> vms = new TreeMap<>();
  /** Copies of the cross-host messages sent by this host's VMs: receiver, then sender, then seq. */
  private final Map<Integer, Map<Integer, TreeMap<Long, SenderCopy>>> copiesTo = new TreeMap<>();
  /** The recoveries that discarded part of a VM's execution: messages past them are stale. */
  private final Rollbacks rollbacks = new Rollbacks();
  /** Cross-host deliveries not yet acknowledged to their senders' hosts: sent at the next base boundary. */
  private final List<LogEntry> unacknowledged = new ArrayList<>();
  private long lineIndex;

  public HostRules(GroupConfig config) {
    this.config = config;
  }

  // ---- placement ---------------------------------------------------------------------------------------------

  /** A VM of the group starts on this host: it takes checkpoint 0 at once. */
  public TakeCheckpoint start(int vm) {
    VmLedger v = new VmLedger(vm, config.size());
    vms.put(vm, v);
    BoundaryRecord c0 = v.record(0, BoundaryKind.CHECKPOINT, false, 0);
    v.latestTaken = c0;
    return new TakeCheckpoint(c0);
  }

  public boolean runs(int vm) {
    return vms.containsKey(vm);
  }

  public Collection<Integer> vms() {
    return Collections.unmodifiableSet(vms.keySet());
  }

  /** The VM leaves this host (it was restored elsewhere); its log and copies stay until the line passes them. */
  public void evict(int vm) {
    vms.remove(vm);
  }

  // ---- sending -----------------------------------------------------------------------------------------------

  /**
   * Stamps an outgoing message with the sender's CSN and the channel's next seq, and keeps a copy when the
   * receiver runs on another host. Returns empty when the guest is replaying and this send was made before.
   */
  public Optional<Message> stamp(int from, int to, int size, long digest, long position) {
    VmLedger v = ledger(from);
    if (position <= v.suppressSendsUpTo) return Optional.empty();
    v.lastPosition = Math.max(v.lastPosition, position);
    Message m = new Message(from, to, ++v.sentTo[to], v.index, v.incarnation, size, digest);
    if (!vms.containsKey(to)) {
      copiesTo.computeIfAbsent(to, k -> new TreeMap<>()).computeIfAbsent(from, k -> new TreeMap<>())
          .put(m.seq(), SenderCopy.unacknowledged(m));
    }
    return Optional.of(m);
  }

  // ---- the base boundary -------------------------------------------------------------------------------------

  /**
   * The host clock passed base boundary {@code index}; the VM's guest is at {@code position}. The first VM's tick
   * also sends the acknowledgements gathered since the previous boundary, in one batch.
   */
  public List<HostAction> onBoundary(int vm, long index, long position) {
    List<HostAction> actions = new ArrayList<>();
    if (!unacknowledged.isEmpty()) {
      actions.add(new Acknowledge(List.copyOf(unacknowledged)));
      unacknowledged.clear();
    }
    advance(ledger(vm), index, position, false, actions);
    return actions;
  }

  private void advance(VmLedger v, long index, long position, boolean early, List<HostAction> actions) {
    while (v.index < index) {
      long b = v.index + 1;
      v.index = b;
      boolean due = config.classOf(v.vm).isDueAt(b)
          || (early && config.earlyIndexPolicy() == EarlyIndexPolicy.FORCE_CHECKPOINT);
      if (due) {
        BoundaryRecord c = v.record(b, BoundaryKind.CHECKPOINT, early, position);
        v.latestTaken = c;
        actions.add(new TakeCheckpoint(c));
      } else {
        BoundaryRecord s = v.record(b, BoundaryKind.LOG_SEGMENT, false, position); // only checkpoints are forced
        actions.add(new WriteLogSegment(s, v.entriesSince(v.segmentStartRsn)));
      }
      v.segmentStartRsn = v.received + 1;
    }
  }

  // ---- receiving ---------------------------------------------------------------------------------------------

  /** A message reached this host for one of its VMs, whose guest is at {@code position}. */
  public List<HostAction> onArrival(Message m, long position) {
    VmLedger v = ledger(m.to());
    if (rollbacks.isStale(m)) return List.of(new Drop(m, DropReason.STALE));
    long expected = v.receivedFrom[m.from()] + 1;
    if (m.seq() < expected) return List.of(new Drop(m, DropReason.DUPLICATE));
    if (m.seq() > expected) {
      throw new IllegalStateException("channel " + m.from() + "->" + m.to() + " skipped from #" + (expected - 1)
          + " to #" + m.seq() + ": channels are FIFO, a message was lost");
    }
    List<HostAction> actions = new ArrayList<>();
    // The forced-checkpoint rule: catch up to the sender's index before delivering, so no orphan can form.
    if (m.index() > v.index) advance(v, m.index(), position, true, actions);
    v.receivedFrom[m.from()]++;
    v.received++;
    v.lastPosition = Math.max(v.lastPosition, position);
    LogEntry e = new LogEntry(m, v.received, position, v.index, v.incarnation);
    v.log.addLast(e);
    if (e.isLate()) actions.add(new WriteInTransit(e));
    actions.add(new Deliver(e));
    if (vms.containsKey(m.from())) onAcknowledge(e); else unacknowledged.add(e);
    return actions;
  }

  /** The receiver's host acknowledged one of our cross-host messages (one entry of its batch). */
  public void onAcknowledge(LogEntry e) {
    Message m = e.message();
    TreeMap<Long, SenderCopy> channel = copiesTo.getOrDefault(m.to(), Map.of()).get(m.from());
    if (channel == null) return;
    SenderCopy c = channel.get(m.seq());
    if (c != null && c.message().equals(m)) channel.put(m.seq(), new SenderCopy(m, e.rsn(), e.receiverIndex(), e.incarnation()));
  }

  // ---- checkpoints, line, garbage ----------------------------------------------------------------------------

  /** The hypervisor finished writing this checkpoint on the host: it can now serve a VM failure. */
  public void checkpointStaged(BoundaryRecord c) {
    VmLedger v = vms.get(c.vm());
    if (v == null || c.incarnation() != v.incarnation) return;
    if (v.latestStaged == null || c.index() > v.latestStaged.index()) v.latestStaged = c;
    collect(v);
  }

  /** The manager moved the recovery line. */
  public void onLine(long index) {
    if (index <= lineIndex) return;
    lineIndex = index;
    vms.values().forEach(this::collect);
    forEachChannel(channel -> channel.values().removeIf(c -> c.isAcknowledged() && c.receiverIndex() < lineIndex));
  }

  /** A log entry is garbage once both the line and a staged checkpoint of its VM lie after it. */
  private void collect(VmLedger v) {
    long keepFrom = Math.min(lineIndex, v.latestStaged == null ? 0 : v.latestStaged.index());
    for (Iterator<LogEntry> it = v.log.iterator(); it.hasNext(); ) {
      if (it.next().receiverIndex() < keepFrom) it.remove(); else break;
    }
  }

  // ---- failures ----------------------------------------------------------------------------------------------

  /**
   * A VM failed and its host survived: restore the latest staged checkpoint and replay the volatile log. The
   * host's own record of the VM (counters, log) is intact, so only the guest goes back.
   */
  public VmReplayPlan planVmFailure(int vm) {
    VmLedger v = ledger(vm);
    if (v.latestStaged == null) throw new IllegalStateException("VM " + vm + " has no checkpoint on this host yet");
    List<LogEntry> replay = v.entriesSince(v.latestStaged.received() + 1);
    v.suppressSendsUpTo = v.lastPosition;
    return new VmReplayPlan(vm, v.latestStaged, replay, v.lastPosition);
  }

  /**
   * The manager rolled {@code vm} back to its state at the recovery line, running it here from now on:
   * {@code checkpoint} (stable) plus the receive log {@code segmentEntries} rebuild {@code lineState}.
   */
  public void restoreToLine(int vm, int incarnation, BoundaryRecord checkpoint, List<LogEntry> segmentEntries,
                            BoundaryRecord lineState) {
    VmLedger v = new VmLedger(vm, config.size());
    v.incarnation = incarnation;
    v.index = lineState.index();
    System.arraycopy(lineState.sentTo(), 0, v.sentTo, 0, v.sentTo.length);
    System.arraycopy(lineState.receivedFrom(), 0, v.receivedFrom, 0, v.receivedFrom.length);
    v.received = lineState.received();
    v.lastPosition = lineState.position();
    v.suppressSendsUpTo = lineState.position();
    v.latestTaken = checkpoint;
    v.latestStaged = checkpoint;
    v.log.addAll(segmentEntries);
    v.segmentStartRsn = lineState.received() + 1;
    vms.put(vm, v);
  }

  /** The manager announces a rollback of {@code vm}: drop what its discarded execution sent. */
  public void onRollback(int vm, int incarnation, long[] sentToAtLine) {
    rollbacks.add(vm, incarnation, sentToAtLine);
    forEachChannel(channel -> channel.values().removeIf(c -> rollbacks.isStale(c.message())));
  }

  // ---- what recovery planning reads from a surviving host ----------------------------------------------------

  public long[] receivedFrom(int vm) {
    return ledger(vm).receivedFrom.clone();
  }

  public long[] sentTo(int vm) {
    return ledger(vm).sentTo.clone();
  }

  public long index(int vm) {
    return ledger(vm).index;
  }

  public int incarnation(int vm) {
    return ledger(vm).incarnation;
  }

  public List<LogEntry> receiveLog(int vm) {
    return List.copyOf(ledger(vm).log);
  }

  /** The copies this host keeps of messages to {@code vm}, per channel in seq order. */
  public List<SenderCopy> copiesTo(int vm) {
    List<SenderCopy> out = new ArrayList<>();
    for (TreeMap<Long, SenderCopy> channel : copiesTo.getOrDefault(vm, Map.of()).values()) out.addAll(channel.values());
    return out;
  }

  private void forEachChannel(java.util.function.Consumer<TreeMap<Long, SenderCopy>> action) {
    for (Map<Integer, TreeMap<Long, SenderCopy>> bySender : copiesTo.values()) bySender.values().forEach(action);
  }

  private VmLedger ledger(int vm) {
    VmLedger v = vms.get(vm);
    if (v == null) throw new IllegalArgumentException("VM " + vm + " does not run on this host");
    return v;
  }
}
