package org.vmqsc.agent.node;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.vmqsc.agent.log.LoggedMessage;
import org.vmqsc.agent.log.MessageLog;
import org.vmqsc.agent.node.LogWriter.LogWrite;
import org.vmqsc.protocol.BoundaryRecord;
import org.vmqsc.protocol.CarriedReceipt;
import org.vmqsc.protocol.GroupConfig;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.Message;
import org.vmqsc.protocol.host.HostAction;
import org.vmqsc.protocol.host.HostRules;
import org.vmqsc.protocol.host.SenderCopy;
import org.vmqsc.protocol.host.VmReplayPlan;
import org.vmqsc.protocol.host.VmTransfer;
import org.vmqsc.protocol.recovery.HostSnapshot;
import org.vmqsc.protocol.recovery.Replay;
import org.vmqsc.protocol.recovery.VmRestore;

/**
 * One host's runtime for one protection group: the VM_QSC host rules, the message log with payloads, and the
 * ports through which it reaches its guests, the network, stable storage and the manager. Events come in as
 * method calls (a boundary of the host clock, a frame, a finished write, an order of the manager); effects go out
 * through the ports. It is the only place that carries out the rules' {@link HostAction}s.
 *
 * <p>No threads, no clock and no I/O of its own: an adapter brings the thread (the simulator's event loop, an
 * agent process's single executor) and must call one method at a time. Reports gathered while handling one event
 * leave as one batch when it ends.
 */
public final class HostNode {

  private final String hostId;
  private final String groupId;
  private final GroupConfig config;
  private final HostRules rules;
  private final MessageLog log;
  private final Relay relay;
  private final Guests guests;
  private final LogWriter writer;
  private final ManagerLink manager;
  private final HostClock clock;

  private final List<NodeReport> outbox = new ArrayList<>();
  /** Calls may nest (an adapter that completes a write at once calls back in); the outermost one reports. */
  private int depth;
  private int payloadsAfterCollection;
  /** Checkpoints and log records on their way to stable storage: a VM with any of them does not migrate yet. */
  private final Set<BoundaryRecord> unstableBoundaries = new HashSet<>();
  private final Set<Message> unstableInTransit = new HashSet<>();
  /** Per VM, its newest checkpoint on stable storage and where: a migration tells the new host. */
  private final Map<Integer, StableCheckpoint> stableCheckpoints = new HashMap<>();
  /** The VMs that migrated away, with what they took: a repeated order gets the same answer. */
  private final Map<Integer, VmMigration> emigrations = new HashMap<>();
  /** Per VM that migrated here, the checkpoint it came with: written on its old host, stable, not staged here. */
  private final Map<Integer, BoundaryRecord> arrivedWith = new HashMap<>();

  private record StableCheckpoint(BoundaryRecord checkpoint, String location) {}

  /** The VMs being rebuilt past their stable state together, and what the others sent them meanwhile. */
  private final Set<Integer> rebuilding = new HashSet<>();
  private final List<Deferred> deferred = new ArrayList<>();

  private record Deferred(Message message, byte[] payload) {}

  public HostNode(String hostId, String groupId, GroupConfig config, MessageLog log, Relay relay, Guests guests,
                  LogWriter writer, ManagerLink manager, HostClock clock) {
    this.hostId = hostId;
    this.groupId = groupId;
    this.config = config;
    this.rules = new HostRules(config, guests.deterministic());
    this.log = log;
    this.relay = relay;
    this.guests = guests;
    this.writer = writer;
    this.manager = manager;
    this.clock = clock;
  }

  public String hostId() {
    return hostId;
  }

  public String groupId() {
    return groupId;
  }

  public GroupConfig config() {
    return config;
  }

  public boolean runs(int vm) {
    return rules.runs(vm);
  }

  /**
   * Whether this host already runs the VM of {@code restore} at that incarnation or a later one: the order comes
   * again (a recovery taken up by another manager), or from a recovery a later one has overtaken. Nothing to do.
   */
  public boolean hasDone(VmRestore restore) {
    return rules.runs(restore.vm()) && rules.incarnation(restore.vm()) >= restore.incarnation();
  }

  /** Whether {@code vm} migrated away from this host: frames for it are dropped here. */
  public boolean hasEmigrated(int vm) {
    return rules.hasEmigrated(vm);
  }

  public List<Integer> vms() {
    return List.copyOf(rules.vms());
  }

  // ---- placement ---------------------------------------------------------------------------------------------

  /** A VM of the group starts here: its boot checkpoint is taken at once. */
  public void start(int vm) {
    emigrations.remove(vm);
    handle(() -> execute(List.of(rules.start(vm)), null));
  }

  /** The VM was placed elsewhere by a recovery: stop it here; its log stays until the line passes it. */
  public void evict(int vm) {
    handle(() -> {
      rules.evict(vm);
      guests.stop(vm);
    });
  }

  // ---- traffic -----------------------------------------------------------------------------------------------

  /**
   * A guest sends: stamp the message and put it on the wire. Empty when the guest is being rebuilt and made this
   * send before (the relay drops it).
   */
  public Optional<Message> send(int from, int to, byte[] payload, long digest) {
    long position = guests.position(from);
    Optional<Message> stamped = rules.stamp(from, to, payload.length, digest, position);
    stamped.ifPresent(m -> {
      // The sender's copy of a cross-host message; a same-host one's payload stays until it is delivered, in
      // case a migration makes it cross-host on the way.
      log.keep(m, payload);
      // A VM being rebuilt takes what it took before from the log, in its order; the rest reaches it afterwards.
      if (rebuilding.contains(m.to())) deferred.add(new Deferred(m, payload)); else transmit(m, payload);
    });
    return stamped;
  }

  private void transmit(Message m, byte[] payload) {
    List<CarriedReceipt> receipts = rules.carryTo(m);
    if (receipts.isEmpty()) relay.transmit(m, payload); else relay.transmit(m, payload, receipts);
  }

  /**
   * A VM rebuilt past its stable state is about to make its next send, to {@code to}, and its guest has not moved
   * yet: if that send is one it made before at a later index, the boundaries in between are taken now, on the
   * guest as it is (see {@link Guests#stepAgain}).
   */
  public void prepareSend(int from, int to) {
    handle(() -> execute(rules.beforeResend(from, to, guests.position(from)), null));
  }

  /** A frame arrived for one of this host's VMs. */
  public void onArrival(Message m, byte[] payload) {
    handle(() -> receive(m, payload, null));
  }

  /** A frame arrived for one of this host's VMs, carrying receipts of its sender's host (causal logging). */
  public void onArrival(Message m, byte[] payload, List<CarriedReceipt> carried) {
    handle(() -> {
      if (!carried.isEmpty()) rules.onCarried(carried);
      receive(m, payload, null);
    });
  }

  /** The receivers' hosts acknowledged these cross-host messages (one batch from one host). */
  public void onAcknowledgements(List<LogEntry> batch) {
    handle(() -> {
      List<LogEntry> passOn = new ArrayList<>();
      for (LogEntry e : batch) if (!rules.onAcknowledge(e)) passOn.add(e);
      if (!passOn.isEmpty()) relay.acknowledge(passOn); // the sender migrated: to the host that runs it now
    });
  }

  private void receive(Message m, byte[] payload, Replay replay) {
    if (rules.hasEmigrated(m.to())) {
      execute(rules.onArrival(m, 0), replay); // dropped: the sender resends from its copy, or it went along
      return;
    }
    if (!guests.running(m.to())) throw new IllegalStateException("VM " + m.to() + " does not run on " + hostId);
    log.keep(m, payload); // before the actions: a late message is written with it
    execute(rules.onArrival(m, guests.position(m.to())), replay);
  }

  // ---- the clock ---------------------------------------------------------------------------------------------

  /** The host clock passed base boundary {@code index}. */
  public void onBoundary(long index) {
    handle(() -> {
      for (int vm : List.copyOf(rules.vms())) {
        if (guests.running(vm)) execute(rules.onBoundary(vm, index, guests.position(vm)), null);
      }
    });
  }

  // ---- completions -------------------------------------------------------------------------------------------

  /** The checkpoint is written on this host: it serves a VM failure here, and the manager learns of it. */
  public void onCheckpointStaged(BoundaryRecord checkpoint, String location, long sizeBytes, String digest) {
    handle(() -> {
      rules.checkpointStaged(checkpoint);
      outbox.add(new NodeReport.Boundary(checkpoint, false, location, sizeBytes, digest));
    });
  }

  /** The checkpoint reached stable storage: it may enter the recovery line. */
  public void onCheckpointStable(BoundaryRecord checkpoint, String location, long sizeBytes, String digest) {
    handle(() -> {
      unstableBoundaries.remove(checkpoint);
      StableCheckpoint known = stableCheckpoints.get(checkpoint.vm());
      if (known == null || checkpoint.incarnation() > known.checkpoint().incarnation()
          || (checkpoint.incarnation() == known.checkpoint().incarnation()
              && checkpoint.index() > known.checkpoint().index())) {
        stableCheckpoints.put(checkpoint.vm(), new StableCheckpoint(checkpoint, location));
      }
      outbox.add(new NodeReport.Boundary(checkpoint, true, location, sizeBytes, digest));
    });
  }

  /**
   * A checkpoint this node took will never be staged: it failed, or the adapter dropped its result because the VM
   * changed since (restored, evicted, moved). It no longer holds its VM back from migrating, as one on its way to
   * stable storage does. Nothing is reported: the manager never heard of it.
   */
  public void onCheckpointAbandoned(BoundaryRecord checkpoint) {
    handle(() -> unstableBoundaries.remove(checkpoint));
  }

  /** A log write is durable on stable storage at {@code location}. */
  public void onLogStable(LogWrite write, String location) {
    handle(() -> {
      if (write instanceof LogWrite.Segment s) {
        unstableBoundaries.remove(s.record());
        outbox.add(new NodeReport.Boundary(s.record(), true, location, bytes(s.entries()), digest(s.entries())));
      } else if (write instanceof LogWrite.InTransit t) {
        unstableInTransit.remove(t.message().entry().message());
        outbox.add(new NodeReport.InTransit(t.message().entry(), location));
      }
    });
  }

  // ---- orders of the manager ---------------------------------------------------------------------------------

  /** The recovery line moved: collect what lies behind it. */
  public void onLine(long index) {
    handle(() -> {
      rules.onLine(index);
      // Payloads go when the rules no longer keep their message. Finding those walks every log, so it runs
      // once the payloads have doubled since the last time: linear in all, and at most twice what is live.
      if (log.size() > 2 * payloadsAfterCollection + 64) {
        log.retainOnly(liveMessages());
        payloadsAfterCollection = log.size();
      }
    });
  }

  /** A recovery rolled {@code vm} back: drop what its discarded execution sent. */
  public void onRollback(int vm, int incarnation, long[] sentToAtLine) {
    handle(() -> rules.onRollback(vm, incarnation, sentToAtLine));
  }

  /**
   * Runs {@code restore.vm()} here from now on, rebuilt to its state at the line: its stable checkpoint at
   * {@code checkpointLocation} plus the log segments at {@code segmentLocations}, read from stable storage and
   * verified; then it catches up with this host's clock. Idempotent: a repeated order changes nothing.
   */
  public void restoreToLine(VmRestore restore, String checkpointLocation, List<String> segmentLocations) {
    handle(() -> {
      if (hasDone(restore)) return;
      rebuildToBoundary(restore, checkpointLocation, segmentLocations, false);
      int vm = restore.vm();
      execute(rules.onBoundary(vm, Math.max(clock.index(), restore.lineState().index()), guests.position(vm)), null);
    });
  }

  /**
   * The rules and the guest of {@code restore.vm()} at its recovered boundary: segments read from stable storage
   * and verified, their payloads kept, the guest rebuilt from its checkpoint. {@code pastLine}: the rules also
   * expect the sends it must make again.
   */
  private void rebuildToBoundary(VmRestore restore, String checkpointLocation, List<String> segmentLocations,
                                 boolean pastLine) {
    int vm = restore.vm();
    List<LoggedMessage> entries = new ArrayList<>();
    for (String location : segmentLocations) entries.addAll(readStable(location));
    List<LogEntry> logEntries = new ArrayList<>(entries.size());
    for (LoggedMessage e : entries) {
      logEntries.add(e.entry());
      log.keep(e.entry().message(), e.payload());
    }
    if (pastLine) {
      rules.restorePastLine(vm, restore.incarnation(), restore.checkpoint(), logEntries, restore.lineState(),
          restore.resends());
    } else {
      rules.restoreToLine(vm, restore.incarnation(), restore.checkpoint(), logEntries, restore.lineState());
    }
    emigrations.remove(vm);
    stableCheckpoints.put(vm, new StableCheckpoint(restore.checkpoint(), checkpointLocation));
    guests.rebuild(vm, restore.checkpoint(), checkpointLocation, entries, restore.lineState().position());
  }

  /**
   * Runs the VMs of {@code restores} here from now on, rebuilt past their stable states (causal logging), all
   * together: each to its state at its {@code lineState} as {@link #restoreToLine} does, then re-executed side by
   * side. A VM steps to the position of its next receipt to take again and takes it as soon as its payload is at
   * hand ({@code payloads}, this host's log, stable storage, or made again by another one's re-execution: a message
   * between VMs of the failed host travelled nowhere else); one with no receipt left steps until it has sent
   * again what other VMs' recovered states received from it. Their first execution took every receipt after its
   * send, so the rebuild never waits for good. Only then do they catch up with this host's clock and take
   * anything new; what they sent each other beyond the others' recovered states is delivered then.
   */
  public void restorePastLine(List<PastLineRestore> restores, Map<Message, byte[]> payloads,
                              Map<Message, String> stableLocations) {
    handle(() -> {
      Map<Integer, ArrayDeque<LogEntry>> toTake = new TreeMap<>();
      Map<Integer, VmRestore> byVm = new HashMap<>();
      for (PastLineRestore p : restores) {
        VmRestore restore = p.restore();
        if (hasDone(restore)) continue;
        rebuildToBoundary(restore, p.checkpointLocation(), p.segmentLocations(), true);
        toTake.put(restore.vm(), new ArrayDeque<>(restore.extension()));
        byVm.put(restore.vm(), restore);
      }
      rebuilding.addAll(toTake.keySet());
      try {
        reExecuteTogether(toTake, payloads, stableLocations);
      } finally {
        rebuilding.clear();
      }
      for (VmRestore restore : byVm.values()) {
        int vm = restore.vm();
        execute(rules.onBoundary(vm, Math.max(clock.index(), restore.lineState().index()), guests.position(vm)), null);
      }
      List<Deferred> sendNow = new ArrayList<>(deferred);
      deferred.clear();
      for (Deferred d : sendNow) transmit(d.message(), d.payload());
    });
  }

  private void reExecuteTogether(Map<Integer, ArrayDeque<LogEntry>> toTake, Map<Message, byte[]> payloads,
                                 Map<Message, String> stableLocations) {
    Map<Integer, Long> limit = new HashMap<>();
    boolean moved = true;
    while (moved) {
      moved = false;
      for (Map.Entry<Integer, ArrayDeque<LogEntry>> next : toTake.entrySet()) {
        int vm = next.getKey();
        LogEntry e = next.getValue().peek();
        if (e != null) {
          if (guests.position(vm) < e.position()) {
            stepTo(vm, e.position());
            moved = true;
          }
          byte[] payload = notSentAgainYet(e.message(), toTake.keySet()) ? null
              : payloadAtHand(e.message(), payloads, stableLocations);
          if (payload != null) {
            execute(rules.beforeReceiptAgain(e, guests.position(vm)), null);
            receive(e.message(), payload, null);
            next.getValue().poll();
            moved = true;
          }
        } else if (rules.resendsPending(vm)) {
          if (guests.position(vm) >= limit.computeIfAbsent(vm, v -> guests.position(v) + STEPS_TO_RESEND)) {
            throw new IllegalStateException("VM " + vm + " did not send again what others received from it within "
                + STEPS_TO_RESEND + " steps of its last receipt: its guest is not deterministic");
          }
          guests.stepAgain(vm);
          moved = true;
        }
      }
    }
    toTake.forEach((vm, left) -> {
      if (!left.isEmpty()) {
        throw new IllegalStateException("VM " + vm + " cannot take receipt " + left.peek().rsn() + " again ("
            + left.peek().message() + "): no payload here, and no VM rebuilt with it made it again");
      }
    });
  }

  /**
   * Whether {@code m}'s sender is rebuilt with its receiver and has not made that send again yet: the receipt waits
   * for it, even if a log holds the message, so each rebuilt VM takes only what the others' new executions sent.
   */
  private boolean notSentAgainYet(Message m, Set<Integer> rebuiltTogether) {
    return rebuiltTogether.contains(m.from()) && rules.sentTo(m.from())[m.to()] < m.seq();
  }

  /** How far past its last receipt taken again a rebuilt guest may run to make its sends again. */
  private static final int STEPS_TO_RESEND = 1_000_000;

  private void stepTo(int vm, long position) {
    while (guests.position(vm) < position) guests.stepAgain(vm);
  }

  private byte[] payloadOf(Message m, Map<Message, byte[]> payloads, Map<Message, String> stableLocations) {
    byte[] payload = payloadAtHand(m, payloads, stableLocations);
    if (payload == null) throw new IllegalStateException("no payload for " + m + ", to take again on " + hostId);
    return payload;
  }

  /** {@code m}'s payload from the manager, this host's log, or stable storage; null if none has it (yet). */
  private byte[] payloadAtHand(Message m, Map<Message, byte[]> payloads, Map<Message, String> stableLocations) {
    byte[] payload = payloads.get(m);
    if (payload == null) payload = log.payload(m);
    if (payload == null && stableLocations.containsKey(m)) {
      for (LoggedMessage lm : readStable(stableLocations.get(m))) {
        if (lm.entry().message().equals(m)) payload = lm.payload();
      }
    }
    if (payload == null) payload = log.payloadOfSameSend(m); // made again by its sender's re-execution
    return payload;
  }

  /**
   * Delivers a rolled-back VM's replays, in order, through the normal receive path (so duplicates and stale
   * messages are dropped as any other). {@code payloads} holds those this host does not keep itself, and
   * {@code stableLocations} where the late ones lie on stable storage.
   */
  public void replay(int vm, List<Replay> replays, Map<Message, byte[]> payloads, Map<Message, String> stableLocations) {
    handle(() -> {
      for (Replay r : replays) receive(r.message(), payloadOf(r.message(), payloads, stableLocations), r);
    });
  }

  /**
   * A VM failed and this host survived: restart it from its latest checkpoint written here and replay its
   * volatile log (deterministic guests; see hole 7 for the others).
   */
  public void onVmFailure(int vm) {
    handle(() -> {
      VmReplayPlan plan = rules.planVmFailure(vm);
      List<LoggedMessage> entries = new ArrayList<>(plan.entries().size());
      for (LogEntry e : plan.entries()) entries.add(log.withPayload(e));
      guests.rebuild(vm, plan.checkpoint(), restoreLocation(plan.checkpoint()), entries, plan.replayUntil());
    });
  }

  /**
   * Where to restore a checkpoint from after a VM failure: null when it was written on this host (staged), else
   * its stable location (the VM migrated here and has not written a checkpoint here yet).
   */
  private String restoreLocation(BoundaryRecord checkpoint) {
    StableCheckpoint s = stableCheckpoints.get(checkpoint.vm());
    boolean arrivedWithIt = s != null && s.checkpoint().equals(checkpoint)
        && checkpoint.equals(arrivedWith.get(checkpoint.vm()));
    return arrivedWithIt ? s.location() : null;
  }

  // ---- live migration ----------------------------------------------------------------------------------------

  /**
   * {@code vm} leaves this host by live migration to {@code target}: its protocol state and the payloads it needs
   * are handed out, and the guest is handed off. Refused ({@link MigrationRefusedException}, nothing changed)
   * while the VM has checkpoints or log records on their way to stable storage: those are written from this
   * host's memory and disk, and a failure of this host after the VM left would lose them while the VM runs on.
   * A repeated order gets the same answer.
   */
  public VmMigration emigrate(int vm, String target) {
    if (!rules.runs(vm) && emigrations.containsKey(vm)) return emigrations.get(vm);
    if (!rules.runs(vm) || !guests.running(vm)) {
      throw new IllegalStateException("VM " + vm + " does not run on " + hostId + ": it cannot migrate from here");
    }
    long pending = unstableBoundaries.stream().filter(r -> r.vm() == vm).count()
        + unstableInTransit.stream().filter(m -> m.to() == vm).count();
    if (pending > 0) {
      throw new MigrationRefusedException("VM " + vm + " on " + hostId + " has " + pending
          + " checkpoint(s) or log record(s) not yet on stable storage: it migrates once they are");
    }
    StableCheckpoint s = stableCheckpoints.get(vm);
    if (s == null || !s.checkpoint().equals(rules.latestStaged(vm))) {
      throw new MigrationRefusedException("VM " + vm + "'s latest checkpoint " + rules.latestStaged(vm)
          + " is not known stable on " + hostId + ": it migrates once it is");
    }
    VmMigration[] out = new VmMigration[1];
    handle(() -> {
      VmTransfer t = rules.emigrate(vm);
      Map<Message, byte[]> payloads = new HashMap<>();
      for (Message m : t.messages()) {
        byte[] p = log.payload(m);
        if (p == null) throw new IllegalStateException(hostId + " keeps " + m + " but not its payload");
        payloads.put(m, p);
      }
      out[0] = new VmMigration(groupId, t, payloads, s.location());
      try {
        guests.handOff(vm, target);
      } catch (RuntimeException e) {
        rules.immigrate(t); // the guest stays: so does its state
        throw e;
      }
      emigrations.put(vm, out[0]);
    });
    return out[0];
  }

  /**
   * A VM migrates to this host: take in its state, take over its guest, resend this host's unacknowledged copies
   * of messages to it (before any new same-host send can overtake them), and catch it up with this host's clock
   * (its next checkpoints are taken here). A repeated order changes nothing.
   */
  public void immigrate(VmMigration migration) {
    if (!migration.groupId().equals(groupId)) {
      throw new IllegalArgumentException("a migration of group " + migration.groupId() + " reached group " + groupId);
    }
    VmTransfer t = migration.transfer();
    int vm = t.vm();
    if (rules.runs(vm) && rules.incarnation(vm) == t.incarnation() && rules.index(vm) >= t.index()) return;
    if (rules.runs(vm)) throw new IllegalStateException("VM " + vm + " already runs on " + hostId);
    if (t.sentTo().length != config.size()) {
      throw new IllegalArgumentException("VM " + vm + "'s migration has counters for " + t.sentTo().length
          + " VMs; group " + groupId + " has " + config.size());
    }
    handle(() -> {
      guests.takeOver(vm, migration); // first: if the hypervisor cannot, nothing here changed
      migration.payloads().forEach(log::keep);
      rules.immigrate(t);
      emigrations.remove(vm);
      stableCheckpoints.put(vm, new StableCheckpoint(t.latestStaged(), migration.checkpointLocation()));
      arrivedWith.put(vm, t.latestStaged());
      resendCopiesTo(vm);
      execute(rules.onBoundary(vm, clock.index(), guests.position(vm)), null);
    });
  }

  /**
   * {@code vm} runs on another host now (the manager's placement order after a migration): frames on their way
   * to its old host are dropped there, so resend every copy of a message to it not yet acknowledged. The
   * receiver drops those it has as duplicates.
   */
  public void onPlacement(int vm) {
    handle(() -> resendCopiesTo(vm));
  }

  /** Puts every unacknowledged copy of a message to {@code vm} on the wire again, in channel order. */
  private void resendCopiesTo(int vm) {
    for (SenderCopy c : rules.copiesTo(vm)) {
      if (c.isAcknowledged()) continue;
      byte[] p = log.payload(c.message());
      if (p == null) throw new IllegalStateException(hostId + " keeps a copy of " + c.message() + " but not its payload");
      relay.transmit(c.message(), p);
    }
  }

  // ---- what a recovery reads ---------------------------------------------------------------------------------

  /** What this host holds of the group, as data, for a recovery to plan on. */
  public HostSnapshot snapshot() {
    List<Integer> running = new ArrayList<>();
    Map<Integer, long[]> received = new HashMap<>();
    Map<Integer, List<LogEntry>> logs = new HashMap<>();
    for (int vm : rules.vms()) {
      if (guests.running(vm)) running.add(vm);
      received.put(vm, rules.receivedFrom(vm));
      logs.put(vm, rules.receiveLog(vm));
    }
    Map<Integer, List<SenderCopy>> copies = new HashMap<>();
    for (int to = 0; to < config.size(); to++) {
      List<SenderCopy> c = rules.copiesTo(to);
      if (!c.isEmpty()) copies.put(to, c);
    }
    Map<Integer, List<CarriedReceipt>> carried = new HashMap<>();
    for (int vm : rules.vmsWithCarriedReceipts()) {
      List<CarriedReceipt> c = rules.carriedReceipts(vm);
      if (!c.isEmpty()) carried.put(vm, c);
    }
    return new HostSnapshot(hostId, running, received, logs, copies, rules.carriesReceipts(), carried);
  }

  /** The payloads this host keeps of {@code messages} (those it does not keep are left out). */
  public Map<Message, byte[]> payloads(List<Message> messages) {
    Map<Message, byte[]> out = new HashMap<>();
    for (Message m : messages) {
      byte[] p = log.payload(m);
      if (p != null) out.put(m, p);
    }
    return out;
  }

  /** The guest's index (CSN) of a VM this host runs. */
  public int incarnation(int vm) {
    return rules.incarnation(vm);
  }

  /** The index (CSN) of a VM this host runs. */
  public long index(int vm) {
    return rules.index(vm);
  }

  // ---- carrying out the rules' actions -----------------------------------------------------------------------

  private void execute(List<? extends HostAction> actions, Replay replay) {
    for (HostAction a : actions) {
      if (a instanceof HostAction.TakeCheckpoint t) {
        unstableBoundaries.add(t.record()); // first: an adapter may finish it before returning
        guests.checkpoint(t.record());
      } else if (a instanceof HostAction.WriteLogSegment w) {
        List<LoggedMessage> entries = new ArrayList<>(w.entries().size());
        for (LogEntry e : w.entries()) entries.add(log.withPayload(e));
        // Staged at once (the entries are in host memory); stable when the write completes.
        outbox.add(new NodeReport.Boundary(w.record(), false, "host:" + hostId, bytes(entries), digest(entries)));
        unstableBoundaries.add(w.record());
        writer.write(new LogWrite.Segment(w.record(), entries));
      } else if (a instanceof HostAction.WriteInTransit w) {
        unstableInTransit.add(w.entry().message());
        writer.write(new LogWrite.InTransit(log.withPayload(w.entry())));
      } else if (a instanceof HostAction.Deliver d) {
        guests.deliver(d.entry(), log.payload(d.entry().message()), replay);
      } else if (a instanceof HostAction.Acknowledge k) {
        relay.acknowledge(k.entries());
      } else if (a instanceof HostAction.Drop d) {
        relay.dropped(d.message(), d.reason());
      }
    }
  }

  /**
   * The messages whose payloads the rules still need: in a receive log, copied by a sender here, or in flight on
   * this host. The copies are asked of the rules, which find one by its seq, instead of being gathered too.
   */
  private Predicate<Message> liveMessages() {
    Set<Message> logged = new HashSet<>();
    for (int vm : rules.vms()) for (LogEntry e : rules.receiveLog(vm)) logged.add(e.message());
    Set<Message> inFlight = rules.localInFlight();
    return m -> logged.contains(m) || rules.keepsCopy(m) || inFlight.contains(m);
  }

  private List<LoggedMessage> readStable(String location) {
    try {
      return log.readStable(location);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read log record " + location + " for a restore on " + hostId, e);
    }
  }

  private void handle(Runnable event) {
    depth++;
    try {
      event.run();
    } finally {
      depth--;
    }
    if (depth == 0 && !outbox.isEmpty()) {
      List<NodeReport> batch = List.copyOf(outbox);
      outbox.clear();
      manager.report(groupId, batch);
    }
  }

  private static long bytes(List<LoggedMessage> entries) {
    long n = 0;
    for (LoggedMessage e : entries) n += e.entry().message().size();
    return n;
  }

  private static String digest(List<LoggedMessage> entries) {
    long h = 1;
    for (LoggedMessage e : entries) h = h * 31 + e.entry().message().digest();
    return Long.toHexString(h);
  }
}
