package org.vmqsc.protocol.host;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.vmqsc.protocol.BoundaryKind;
import org.vmqsc.protocol.BoundaryRecord;
import org.vmqsc.protocol.CarriedReceipt;
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
 *
 * <p>With piecewise-deterministic guests a host also practises causal logging: each cross-host message carries
 * the receipts this host made that no message carried off it yet ({@link #carryTo}), and a host keeps the
 * receipts other hosts' messages carried to it ({@link #onCarried}). Whatever a VM elsewhere depends on of this
 * host's VMs then survives this host, so a recovery can rebuild its VMs past their last stable state instead of
 * rolling back everyone who heard from them.
 */
public final class HostRules {

  private final GroupConfig config;
  private final Ledgers vms;
  /** Copies of the cross-host messages sent by this host's VMs: receiver, then sender, then seq. */
  private final CopyChannel[][] copiesTo;
  /** The recoveries that discarded part of a VM's execution: messages past them are stale. */
  private final Rollbacks rollbacks = new Rollbacks();
  /** Cross-host deliveries not yet acknowledged to their senders' hosts: sent at the next base boundary. */
  private final List<LogEntry> unacknowledged = new ArrayList<>();
  /**
   * Same-host messages sent and not delivered yet, in send order. They have no sender copy, so a migration of
   * either end must know them: they are what turns into cross-host traffic without a copy.
   */
  private final Set<Message> localInFlight = new LinkedHashSet<>();
  /** VMs that migrated away from this host and have not come back: frames for them are dropped as MOVED. */
  private final Set<Integer> emigrated = new HashSet<>();
  private long lineIndex;
  /** Whether this host carries its receipts to other hosts (its guests are piecewise deterministic). */
  private final boolean carriesReceipts;
  /** This host's receipts not yet behind the line, in delivery order, each with its number (from 1). */
  private final ArrayDeque<Numbered> receipts = new ArrayDeque<>();
  private long receiptsMade;
  /** The number of the last receipt a message carried off this host. */
  private long carriedUpTo;
  /** Receipts of VMs elsewhere that messages carried here: per VM, by rsn. */
  private final Map<Integer, TreeMap<Long, CarriedReceipt>> carriedIn = new TreeMap<>();

  private record Numbered(long number, CarriedReceipt receipt) {}

  /**
   * Per VM recovered past its stable state, the messages it must send again before it takes anything new: per
   * receiver, by seq, as first sent (their index places its boundaries where they fell).
   */
  private final Map<Integer, Map<Integer, TreeMap<Long, Message>>> resends = new TreeMap<>();

  public HostRules(GroupConfig config) {
    this(config, false);
  }

  /** @param carriesReceipts practise causal logging (only for piecewise-deterministic guests) */
  public HostRules(GroupConfig config, boolean carriesReceipts) {
    this.config = config;
    this.vms = new Ledgers(config.size());
    this.copiesTo = new CopyChannel[config.size()][config.size()];
    this.carriesReceipts = carriesReceipts;
  }

  public boolean carriesReceipts() {
    return carriesReceipts;
  }

  // ---- placement ---------------------------------------------------------------------------------------------

  /** A VM of the group starts on this host: it takes checkpoint 0 at once. */
  public TakeCheckpoint start(int vm) {
    VmLedger v = new VmLedger(vm, config.size());
    vms.put(vm, v);
    emigrated.remove(vm);
    BoundaryRecord c0 = v.record(0, BoundaryKind.CHECKPOINT, false, 0);
    v.latestTaken = c0;
    return new TakeCheckpoint(c0);
  }

  public boolean runs(int vm) {
    return vms.containsKey(vm);
  }

  public Collection<Integer> vms() {
    return vms.keySet();
  }

  /** The VM leaves this host (it was restored elsewhere); its log and copies stay until the line passes them. */
  public void evict(int vm) {
    vms.remove(vm);
    localInFlight.removeIf(m -> m.to() == vm); // frames to it here are lost; a recovery replays from the logs
  }

  /** Whether {@code vm} migrated away from this host (and has not come back). */
  public boolean hasEmigrated(int vm) {
    return emigrated.contains(vm);
  }

  // ---- live migration ----------------------------------------------------------------------------------------

  /**
   * {@code vm} leaves this host by live migration: hands out its whole state. Same-host traffic with the VMs
   * that stay becomes cross-host traffic, and cross-host messages need a sender copy on the sender's host (a
   * recovery replays from it when the receiver's host fails). So:
   * <ul>
   *   <li>its own copies go with it, plus acknowledged copies of what it sent that the VMs staying here received
   *       (from their logs) and unacknowledged copies of what it sent them that is still in flight here;</li>
   *   <li>this host keeps acknowledged copies of what the VMs staying here sent it (from its log), and
   *       unacknowledged ones of what they sent it still in flight here: frames arriving here after it left are
   *       dropped, and every host resends its unacknowledged copies to it when it learns the new placement. (Not
   *       carrying those frames along keeps its channels FIFO: an older message of the same channel may still be
   *       on its way from another host, to be resent in order with them.)</li>
   *   <li>acknowledgements this host owes for its deliveries go with it.</li>
   * </ul>
   * Copies whose receiver index is behind the line are left out, as {@link #onLine} would drop them.
   */
  public VmTransfer emigrate(int vm) {
    VmLedger v = ledger(vm);
    vms.remove(vm);
    emigrated.add(vm);
    List<SenderCopy> copies = new ArrayList<>();
    for (CopyChannel[] bySender : copiesTo) {
      CopyChannel own = bySender[vm];
      bySender[vm] = null;
      if (own != null) copies.addAll(own.values());
    }
    for (Iterator<Message> it = localInFlight.iterator(); it.hasNext(); ) {
      Message m = it.next();
      if (m.from() == vm) {
        copies.add(SenderCopy.unacknowledged(m));
        it.remove();
      } else if (m.to() == vm) {
        keepCopy(SenderCopy.unacknowledged(m));
        it.remove();
      }
    }
    for (LogEntry e : v.log) {
      if (vms.containsKey(e.message().from()) && e.receiverIndex() >= lineIndex) keepCopy(acknowledged(e));
    }
    for (VmLedger other : vms.values()) {
      for (LogEntry e : other.log) {
        if (e.message().from() == vm && e.receiverIndex() >= lineIndex) copies.add(acknowledged(e));
      }
    }
    List<LogEntry> acks = new ArrayList<>();
    for (Iterator<LogEntry> it = unacknowledged.iterator(); it.hasNext(); ) {
      LogEntry e = it.next();
      if (e.message().to() == vm) {
        acks.add(e);
        it.remove();
      }
    }
    return new VmTransfer(vm, v.incarnation, v.index, v.sentTo, v.receivedFrom, v.received, v.lastPosition,
        v.suppressSendsUpTo, v.latestTaken, v.latestStaged, v.segmentStartRsn, List.copyOf(v.log), copies, acks);
  }

  /**
   * A VM migrates to this host with the state {@code t} its old host handed out. The caller then resends this
   * host's unacknowledged copies of messages to it (they may have been dropped at its old host) and catches it up
   * with this host's clock.
   */
  public void immigrate(VmTransfer t) {
    int vm = t.vm();
    if (vms.containsKey(vm)) throw new IllegalStateException("VM " + vm + " already runs on this host");
    if (vm >= config.size() || t.sentTo().length != config.size()) {
      throw new IllegalArgumentException("VM " + vm + "'s transfer has counters for " + t.sentTo().length
          + " VMs; the group has " + config.size());
    }
    VmLedger v = new VmLedger(vm, config.size());
    v.incarnation = t.incarnation();
    v.index = t.index();
    System.arraycopy(t.sentTo(), 0, v.sentTo, 0, v.sentTo.length);
    System.arraycopy(t.receivedFrom(), 0, v.receivedFrom, 0, v.receivedFrom.length);
    v.received = t.received();
    v.lastPosition = t.lastPosition();
    v.suppressSendsUpTo = t.suppressSendsUpTo();
    v.latestTaken = t.latestTaken();
    v.latestStaged = t.latestStaged();
    v.segmentStartRsn = t.segmentStartRsn();
    v.log.addAll(t.receiveLog());
    v.migratedHere = true;
    vms.put(vm, v);
    emigrated.remove(vm);
    for (SenderCopy c : t.copies()) {
      if (!rollbacks.isStale(c.message())) keepCopy(c);
    }
    for (LogEntry e : t.pendingAcks()) {
      if (vms.containsKey(e.message().from())) onAcknowledge(e); else unacknowledged.add(e);
    }
    collect(v);
  }

  private void keepCopy(SenderCopy c) {
    Message m = c.message();
    CopyChannel channel = copiesTo[m.to()][m.from()];
    if (channel == null) channel = copiesTo[m.to()][m.from()] = new CopyChannel();
    SenderCopy known = channel.get(m.seq());
    if (known == null || (!known.isAcknowledged() && c.isAcknowledged())) channel.put(c);
  }

  private static SenderCopy acknowledged(LogEntry e) {
    return new SenderCopy(e.message(), e.rsn(), e.receiverIndex(), e.incarnation());
  }

  /** Same-host messages sent and not delivered yet: their payloads must stay until they are. */
  public Set<Message> localInFlight() {
    return Collections.unmodifiableSet(localInFlight);
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
    Message resent = resent(from, to, v.sentTo[to] + 1);
    if (resent != null && (resent.digest() != digest || resent.size() != size || resent.index() != v.index
        || resent.senderReceived() != v.received)) {
      throw new IllegalStateException("VM " + from + " re-executed differently: its send #" + (v.sentTo[to] + 1)
          + " to VM " + to + " (digest " + digest + ", size " + size + ", index " + v.index + ", after " + v.received
          + " receipts) is not " + resent + " (digest " + resent.digest() + ", size " + resent.size() + ", after "
          + resent.senderReceived() + " receipts)");
    }
    Message m = new Message(from, to, ++v.sentTo[to], v.index, v.incarnation, size, digest,
        carriesReceipts ? v.received : 0);
    if (vms.containsKey(to)) localInFlight.add(m); else keepCopy(SenderCopy.unacknowledged(m));
    return Optional.of(m);
  }

  /**
   * The receipts a cross-host message {@code m} carries: every receipt this host made that no message carried off
   * it yet (all of its VMs', so a chain through a VM of this host is covered too). One other host holding a receipt
   * is enough for one host failure: whichever host a dependent message reaches, the holder survives this host.
   * Empty for a same-host message, or when this host does not carry receipts.
   */
  public List<CarriedReceipt> carryTo(Message m) {
    if (!carriesReceipts || vms.containsKey(m.to()) || carriedUpTo >= receiptsMade) return List.of();
    List<CarriedReceipt> out = new ArrayList<>();
    for (Iterator<Numbered> it = receipts.descendingIterator(); it.hasNext(); ) {
      Numbered n = it.next();
      if (n.number() <= carriedUpTo) break;
      out.add(n.receipt());
    }
    java.util.Collections.reverse(out);
    carriedUpTo = receiptsMade;
    return out;
  }

  /** A message arrived carrying receipts of another host's VMs: keep those of VMs that do not run here. */
  public void onCarried(List<CarriedReceipt> carried) {
    for (CarriedReceipt c : carried) {
      LogEntry e = c.entry();
      int vm = e.message().to();
      if (vms.containsKey(vm) || e.receiverIndex() < lineIndex || rollbacks.isStale(e.message())) continue;
      TreeMap<Long, CarriedReceipt> byRsn = carriedIn.computeIfAbsent(vm, k -> new TreeMap<>());
      if (c.supersedes(byRsn.get(e.rsn()))) byRsn.put(e.rsn(), c);
    }
  }

  /**
   * The receipts of {@code vm} this host holds for a recovery when {@code vm} does not run here: those other hosts'
   * messages carried here, and those it made here before it left. In rsn order, one per rsn (the latest
   * incarnation's).
   */
  public List<CarriedReceipt> carriedReceipts(int vm) {
    TreeMap<Long, CarriedReceipt> out = new TreeMap<>(carriedIn.getOrDefault(vm, new TreeMap<>()));
    if (!vms.containsKey(vm)) {
      for (Numbered n : receipts) {
        LogEntry e = n.receipt().entry();
        if (e.message().to() == vm && n.receipt().supersedes(out.get(e.rsn()))) out.put(e.rsn(), n.receipt());
      }
    }
    return List.copyOf(out.values());
  }

  /** The VMs this host holds receipts of (see {@link #carriedReceipts}). */
  public Set<Integer> vmsWithCarriedReceipts() {
    Set<Integer> out = new java.util.TreeSet<>(carriedIn.keySet());
    for (Numbered n : receipts) if (!vms.containsKey(n.receipt().entry().message().to())) out.add(n.receipt().entry().message().to());
    return out;
  }

  private void madeReceipt(LogEntry e) {
    if (!carriesReceipts) return;
    receipts.addLast(new Numbered(++receiptsMade, new CarriedReceipt(e)));
  }

  /** The message {@code from} sent as #{@code seq} to {@code to} before, if it must send it again; removes it. */
  private Message resent(int from, int to, long seq) {
    Map<Integer, TreeMap<Long, Message>> byReceiver = resends.get(from);
    if (byReceiver == null) return null;
    TreeMap<Long, Message> channel = byReceiver.get(to);
    Message m = channel == null ? null : channel.remove(seq);
    if (channel != null && channel.isEmpty()) byReceiver.remove(to);
    if (byReceiver.isEmpty()) resends.remove(from);
    return m;
  }

  /**
   * A VM being re-executed past its stable state, its guest at {@code position}, is about to make its next send, to
   * {@code to}: if that send is one it made before, its index catches up with the index it was sent at first (the
   * boundaries between fell before it, and are taken now, on the guest as it is).
   */
  public List<HostAction> beforeResend(int from, int to, long position) {
    Map<Integer, TreeMap<Long, Message>> byReceiver = resends.get(from);
    if (byReceiver == null) return List.of();
    VmLedger v = ledger(from);
    if (position < v.suppressSendsUpTo) return List.of(); // still rebuilding to its stable state: not a send
    TreeMap<Long, Message> channel = byReceiver.get(to);
    Message m = channel == null ? null : channel.get(v.sentTo[to] + 1);
    if (m == null || m.index() <= v.index) return List.of();
    List<HostAction> actions = new ArrayList<>();
    advance(v, m.index(), position, false, actions);
    return actions;
  }

  /** Whether {@code vm}, re-executed past its stable state, has messages left to send again. */
  public boolean resendsPending(int vm) {
    return resends.containsKey(vm);
  }

  /**
   * A VM being re-executed past its stable state is about to take again a receipt it made before: its index
   * catches up with the index it had then.
   */
  public List<HostAction> beforeReceiptAgain(LogEntry original, long position) {
    VmLedger v = ledger(original.message().to());
    if (original.rsn() != v.received + 1) {
      throw new IllegalStateException("VM " + v.vm + " takes again receipt " + original.rsn() + " after "
          + v.received + " receipts");
    }
    List<HostAction> actions = new ArrayList<>();
    if (original.receiverIndex() > v.index) advance(v, original.receiverIndex(), position, false, actions);
    return actions;
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
    localInFlight.remove(m);
    if (!vms.containsKey(m.to()) && emigrated.contains(m.to())) return List.of(new Drop(m, DropReason.MOVED));
    VmLedger v = ledger(m.to());
    if (rollbacks.isStale(m)) return List.of(new Drop(m, DropReason.STALE));
    long expected = v.receivedFrom[m.from()] + 1;
    if (m.seq() < expected) return List.of(new Drop(m, DropReason.DUPLICATE));
    if (m.seq() > expected) {
      if (v.migratedHere) return List.of(new Drop(m, DropReason.REORDERED));
      throw new ChannelGapException(m, expected);
    }
    List<HostAction> actions = new ArrayList<>();
    // The forced-checkpoint rule: catch up to the sender's index before delivering, so no orphan can form.
    if (m.index() > v.index) advance(v, m.index(), position, true, actions);
    v.receivedFrom[m.from()]++;
    v.received++;
    v.lastPosition = Math.max(v.lastPosition, position);
    LogEntry e = new LogEntry(m, v.received, position, v.index, v.incarnation);
    v.log.addLast(e);
    madeReceipt(e);
    if (e.isLate()) actions.add(new WriteInTransit(e));
    actions.add(new Deliver(e));
    if (vms.containsKey(m.from())) onAcknowledge(e); else unacknowledged.add(e);
    return actions;
  }

  /**
   * The receiver's host acknowledged one of our cross-host messages (one entry of its batch). False when the
   * sender migrated away and took the copy along: the caller passes the entry on to the sender's host now.
   */
  public boolean onAcknowledge(LogEntry e) {
    Message m = e.message();
    SenderCopy c = copyOf(m);
    if (c == null) return !emigrated.contains(m.from()) || vms.containsKey(m.from());
    if (c.message().equals(m)) copiesTo[m.to()][m.from()].put(acknowledged(e));
    return true;
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
    forEachChannel(channel -> channel.removeIf(c -> c.isAcknowledged() && c.receiverIndex() < lineIndex));
    // Receipts behind the line are in stable log segments or checkpoints: no recovery needs them carried.
    receipts.removeIf(n -> n.receipt().entry().receiverIndex() < lineIndex);
    carriedIn.values().forEach(byRsn -> byRsn.values().removeIf(c -> c.entry().receiverIndex() < lineIndex));
    carriedIn.values().removeIf(Map::isEmpty);
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
    resends.remove(vm); // what an earlier execution had to send again means nothing to this one
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
    emigrated.remove(vm);
  }

  /**
   * As {@link #restoreToLine}, for a VM recovered past its stable state (causal logging): after the rebuild to
   * {@code lineState} it takes its extension's receipts again through {@link #beforeReceiptAgain} and
   * {@link #onArrival}, and sends {@code resendsFirst} again ({@link #beforeResend}, {@link #stamp}) before the
   * caller gives it anything new.
   */
  public void restorePastLine(int vm, int incarnation, BoundaryRecord checkpoint, List<LogEntry> segmentEntries,
                              BoundaryRecord lineState, List<Message> resendsFirst) {
    restoreToLine(vm, incarnation, checkpoint, segmentEntries, lineState);
    for (Message m : resendsFirst) {
      if (m.from() != vm) throw new IllegalArgumentException(m + " is not VM " + vm + "'s to send again");
      resends.computeIfAbsent(vm, k -> new TreeMap<>()).computeIfAbsent(m.to(), k -> new TreeMap<>()).put(m.seq(), m);
    }
  }

  /** The manager announces a rollback of {@code vm}: drop what its discarded execution sent. */
  public void onRollback(int vm, int incarnation, long[] sentToAtLine) {
    rollbacks.add(vm, incarnation, sentToAtLine);
    forEachChannel(channel -> channel.removeIf(c -> rollbacks.isStale(c.message())));
    localInFlight.removeIf(rollbacks::isStale);
    // Receipts of the discarded execution, and those that took in messages it discarded, mean nothing now.
    TreeMap<Long, CarriedReceipt> ofVm = carriedIn.get(vm);
    if (ofVm != null) ofVm.values().removeIf(c -> c.entry().incarnation() < incarnation);
    carriedIn.values().forEach(byRsn -> byRsn.values().removeIf(c -> rollbacks.isStale(c.message())));
    receipts.removeIf(n -> n.receipt().entry().message().to() == vm && n.receipt().entry().incarnation() < incarnation);
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

  /** The checkpoint a VM failure of {@code vm} restores (the latest written on its host), or null. */
  public BoundaryRecord latestStaged(int vm) {
    return ledger(vm).latestStaged;
  }

  public List<LogEntry> receiveLog(int vm) {
    return List.copyOf(ledger(vm).log);
  }

  /** The copies this host keeps of messages to {@code vm}, per channel in seq order. */
  public List<SenderCopy> copiesTo(int vm) {
    List<SenderCopy> out = new ArrayList<>();
    for (CopyChannel channel : copiesTo[vm]) if (channel != null) out.addAll(channel.values());
    return out;
  }

  /** Whether this host keeps a copy of {@code m} itself (this execution's, not another of the same seq). */
  public boolean keepsCopy(Message m) {
    SenderCopy c = copyOf(m);
    return c != null && c.message().equals(m);
  }

  /** The copy kept under {@code m}'s channel and seq, whichever execution of its sender sent it; or null. */
  private SenderCopy copyOf(Message m) {
    if (m.to() >= copiesTo.length || m.from() >= copiesTo.length) return null;
    CopyChannel channel = copiesTo[m.to()][m.from()];
    return channel == null ? null : channel.get(m.seq());
  }

  private void forEachChannel(java.util.function.Consumer<CopyChannel> action) {
    for (CopyChannel[] bySender : copiesTo) for (CopyChannel channel : bySender) if (channel != null) action.accept(channel);
  }

  private VmLedger ledger(int vm) {
    VmLedger v = vms.get(vm);
    if (v == null) throw new IllegalArgumentException("VM " + vm + " does not run on this host");
    return v;
  }
}
