package org.vmqsc.agent.process;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.vmqsc.agent.driver.GuestMachines;
import org.vmqsc.agent.guest.PwdGuest;
import org.vmqsc.agent.log.LoggedMessage;
import org.vmqsc.agent.log.MessageLog;
import org.vmqsc.agent.log.StableMessageStore;
import org.vmqsc.agent.net.GuestNics;
import org.vmqsc.agent.net.Inbound;
import org.vmqsc.agent.net.Placement;
import org.vmqsc.agent.net.UdpRelay;
import org.vmqsc.agent.net.UdpTunnel;
import org.vmqsc.agent.node.Guests;
import org.vmqsc.agent.node.HostClock;
import org.vmqsc.agent.node.HostNode;
import org.vmqsc.agent.node.LogWriter;
import org.vmqsc.agent.node.ManagerLink;
import org.vmqsc.agent.node.NodeReport;
import org.vmqsc.agent.store.CheckpointKey;
import org.vmqsc.agent.node.VmMigration;
import org.vmqsc.agent.wire.WireMessages.Deploy;
import org.vmqsc.agent.wire.WireMessages.GuestState;
import org.vmqsc.agent.wire.WireMessages.Member;
import org.vmqsc.agent.wire.WireMessages.Report;
import org.vmqsc.agent.wire.WireMessages.Reports;
import org.vmqsc.agent.wire.WireMessages.VmStatus;
import org.vmqsc.protocol.BoundaryRecord;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.Message;
import org.vmqsc.protocol.host.ChannelGapException;
import org.vmqsc.protocol.recovery.Replay;
import org.vmqsc.protocol.recovery.VmRestore;

/**
 * One protection group on one agent: its {@link HostNode} and the real-time adapters of the node's ports —
 * simulated piecewise-deterministic guests that send on their own, a clock whose base boundaries count from the
 * group's start, checkpoints through the engine, log records to the shared stable store, frames through the UDP
 * relay, reports to the manager.
 *
 * <p>Everything here runs on the agent's one loop thread (the node is single-threaded); slow work (checkpoints,
 * stable writes) runs elsewhere and comes back to the loop. While the agent's lease does not allow its VMs to run,
 * the group is <em>stopped</em>: guests make no step, the clock is not followed, frames wait; on resume the node
 * catches up with the boundaries it missed.
 */
final class GroupRuntime implements Guests, LogWriter, HostClock, ManagerLink {

  private record Held(Message message, byte[] payload) {}

  private final String hostUuid;
  private final Deploy deploy;
  private final String group;
  private final ScheduledExecutorService loop;
  private final GuestCheckpoints checkpoints;
  private final StableMessageStore logStore;
  private final Executor logWriter;
  private final ReportSender reports;
  private final EventLog events;
  private final BooleanSupplier leaseHeld;
  private final Supplier<Instant> leaseStop;
  private final Placement placement = new Placement();
  private final UdpRelay relay;
  private final HostNode node;
  private final double[][] rates;
  /** The group's real guests here (QEMU machines on their NICs), or null when its guests are simulated. */
  private final RealGuests real;

  private final Map<Integer, PwdGuest> guests = new HashMap<>();
  private final Map<Integer, PwdGuest> rebuilding = new HashMap<>();
  private final Map<Integer, Long> stepToken = new HashMap<>();
  /** VMs being recovered here: their frames wait until their replays are in. */
  private final Set<Integer> recovering = new HashSet<>();
  private final ArrayDeque<Held> held = new ArrayDeque<>();
  /** Frames that arrived ahead of their channel, waiting for the gap to fill. */
  private final ArrayDeque<Held> ahead = new ArrayDeque<>();
  private boolean stopped;
  /** Held still by a recovery under way. */
  private boolean frozen;
  private boolean closed;
  private boolean quiet;
  /** Guests handed off by live migration, until the manager has carried them over. */
  private final Map<Integer, GuestState> handedOff = new HashMap<>();
  /** The guest of the VM being taken over now. */
  private GuestState arriving;
  /** The line restore under way, for its event. */
  private VmRestore restoringTo;

  GroupRuntime(String hostUuid, Deploy deploy, ScheduledExecutorService loop, UdpTunnel tunnel,
               GuestCheckpoints checkpoints, StableMessageStore logStore, Executor logWriter, ReportSender reports,
               EventLog events, BooleanSupplier leaseHeld, Supplier<Instant> leaseStop, GuestMachines machines,
               java.nio.file.Path scratch) throws IOException {
    this.leaseHeld = leaseHeld;
    this.leaseStop = leaseStop;
    this.hostUuid = hostUuid;
    this.deploy = deploy;
    this.group = deploy.group();
    this.loop = loop;
    this.checkpoints = checkpoints;
    this.logStore = logStore;
    this.logWriter = logWriter;
    this.reports = reports;
    this.events = events;
    int n = deploy.config().size();
    this.rates = new double[n][];
    for (int vm = 0; vm < n; vm++) rates[vm] = PwdGuest.uniformRates(vm, n, deploy.guests().messagesPerPeriod());
    for (Member m : deploy.members()) placement.place(m.number(), UdpTunnel.parseAddress(m.tunnel()));
    this.relay = new UdpRelay(group, tunnel, placement, loop);
    this.node = new HostNode(hostUuid, group, deploy.config(), new MessageLog(logStore), relay, this, this, this, this);
    this.real = machines == null ? null : realGuests(machines, scratch);
    relay.attach(new Inbound() {
      @Override public void onArrival(Message message, byte[] payload) {
        arrive(message, payload);
      }

      @Override public void onAcknowledgements(List<LogEntry> batch) {
        if (!closed) node.onAcknowledgements(batch);
      }
    });
    scheduleBoundary();
  }

  /**
   * A real guest's restore points are its checkpoints only (see {@link RealGuests}): every VM of the group must be
   * SI. The switch knows every VM's MAC, wherever it runs.
   */
  private RealGuests realGuests(GuestMachines machines, java.nio.file.Path scratch) throws IOException {
    for (int vm = 0; vm < deploy.config().size(); vm++) {
      if (deploy.config().classOf(vm).period() != 1) {
        throw new IllegalArgumentException("group " + group + ": VM " + vm + " is " + deploy.config().classOf(vm)
            + ", but real guests are SI only (an MI VM's state between its checkpoints is rebuilt from its log, "
            + "which needs a piecewise deterministic guest)");
      }
    }
    Map<Integer, Long> macs = new HashMap<>();
    for (Member m : deploy.members()) macs.put(m.number(), RealGuests.mac(m.number()));
    GuestNics nics = new GuestNics(group, macs, loop, this::fromGuest);
    return new RealGuests(hostUuid, deploy.config().size(), machines, nics, checkpoints, events, this::onLoop,
        scratch.resolve(group));
  }

  /** A frame a real guest sent: a message of the protocol, stamped with the sender's index at the moment. */
  private void fromGuest(int from, int to, byte[] frame) {
    if (closed || !real.running(from) || !node.runs(from)) return;
    boolean first = real.sent(from, frame);
    node.send(from, to, frame, Arrays.hashCode(frame)).ifPresent(m -> events.emit("frame_sent", "id", id(m),
        "from", m.from(), "to", m.to(), "seq", m.seq(), "index", m.index(), "incarnation", m.incarnation(),
        "host", hostUuid));
    // Frames for it that waited for its NIC go in now; not from here, which may be inside a cut of the node's call.
    if (first) onLoop(this::release);
  }

  /** The clock passed a boundary: real guests are cut first, so each frame gets the index it was sent at. */
  private void boundary() {
    long index = index();
    if (real == null) node.onBoundary(index);
    else real.cutAround(real.holdings(), () -> node.onBoundary(index));
  }

  /** A frame for one of this host's VMs; one with a higher index forces its receiver's checkpoint: cut it first. */
  private void arrival(Message m, byte[] payload) {
    if (real != null && real.running(m.to()) && m.index() > node.index(m.to())) {
      real.cutAround(List.of(m.to()), () -> node.onArrival(m, payload));
    } else {
      node.onArrival(m, payload);
    }
  }

  String group() {
    return group;
  }

  Deploy deploy() {
    return deploy;
  }

  HostNode node() {
    return node;
  }

  // ---- lifecycle (loop thread) -------------------------------------------------------------------------------

  /** Boots VM {@code vm} here: a fresh guest, its boot checkpoint. */
  void boot(int vm) {
    if (real != null) {
      bootReal(vm);
      return;
    }
    if (guests.containsKey(vm) || node.runs(vm)) return;
    PwdGuest g = new PwdGuest(vm, deploy.config().size(), deploy.guests().seed());
    checkpoints.startGuest(vmUuid(vm), deploy.guests().memoryMiB(), deploy.guests().dirtyPagesPerSecond(), vm);
    guests.put(vm, g);
    events.emit("vm_start", "vm", vm, "host", hostUuid, "incarnation", 0, "reason", "boot", "state", g.hash,
        "position", g.position);
    node.start(vm);
    scheduleStep(vm);
    release();
  }

  /** Its machine starts off the loop; the node starts the VM once the guest is in place (see RealGuests#boot). */
  private void bootReal(int vm) {
    if (real.running(vm) || real.booting(vm) || node.runs(vm)) return;
    try {
      real.boot(vm, vmUuid(vm), () -> startReal(vm), e -> bootFailed(vm, e));
    } catch (IOException | RuntimeException e) {
      bootFailed(vm, e);
    }
  }

  private void startReal(int vm) {
    events.emit("vm_start", "vm", vm, "host", hostUuid, "incarnation", 0, "reason", "boot");
    node.start(vm);
    real.booted(vm);
    release();
  }

  private void bootFailed(int vm, Exception e) {
    events.emit("vm_boot_failed", "vm", vm, "host", hostUuid, "error", e.getMessage());
  }

  /**
   * The guests stop making steps (they still receive, checkpoint and recover): the end of a run, so every message
   * sent can arrive and the event log can be checked for loss.
   */
  void quiesce() {
    quiet = true;
    events.emit("quiesced", "host", hostUuid, "group", group);
  }

  /** When a guest of this group last acted here (a send, a delivery, a boundary): a stop comes after it. */
  private volatile Instant lastActed;

  private Instant acted() {
    Instant now = Instant.now();
    lastActed = now;
    return now;
  }

  /**
   * The lease ran out: nothing of the group may run until it is renewed. The stop is stamped when the lease
   * stopped covering the VMs if that is earlier than now (the process was frozen, or late to notice): every guest
   * step, boundary and frame checks the lease first, so none acted after that instant.
   */
  void stop(String reason) {
    if (stopped) return;
    stopped = true;
    Instant at = leaseStop.get();
    // A VM that passed its lease check an instant before the end and wrote its event an instant after it acted
    // then: it stopped after that, not before (the manager's lease outlasts this host's by a margin).
    Instant acted = lastActed;
    if (acted != null && acted.isAfter(at)) at = acted;
    if (real != null) real.block();
    for (int vm : holdings()) events.emitAt(at, "vm_stop", "vm", vm, "host", hostUuid, "reason", reason);
  }

  /** The lease is renewed: catch up with the clock, let the guests and the waiting frames go on. */
  void resume() {
    if (!stopped || closed) return;
    stopped = false;
    for (int vm : guests.keySet()) {
      events.emit("vm_start", "vm", vm, "host", hostUuid, "incarnation", node.incarnation(vm), "reason", "lease",
          "state", guests.get(vm).hash, "position", guests.get(vm).position);
    }
    if (real != null) {
      for (int vm : real.holdings()) {
        events.emit("vm_start", "vm", vm, "host", hostUuid, "incarnation", node.incarnation(vm), "reason", "lease");
      }
    }
    // Real guests run again before the clock's catch-up cut: frames delivered before the stop and still waiting for
    // a guest were counted in the interval that cut closes, so they must be in the guest (see RealGuests#cutAround).
    if (real != null && !frozen) real.unblock();
    boundary();
    release();
    for (int vm : guests.keySet()) scheduleStep(vm);
  }

  /** The host was fenced, or the group left this host: every guest goes, nothing more is reported. */
  void close(String reason) {
    if (closed) return;
    for (int vm : List.copyOf(guests.keySet())) stopGuest(vm, reason);
    if (real != null) real.close();
    closed = true;
    relay.close();
  }

  /** VMs the manager says run elsewhere now. */
  void release(List<Integer> vms) {
    for (int vm : vms) if (node.runs(vm)) node.evict(vm);
  }

  List<Integer> holdings() {
    return real != null ? real.holdings() : List.copyOf(guests.keySet());
  }

  List<VmStatus> status() {
    if (real != null) return real.status(node::incarnation, node::index);
    List<VmStatus> out = new ArrayList<>();
    for (Map.Entry<Integer, PwdGuest> e : guests.entrySet()) {
      PwdGuest g = e.getValue();
      out.add(new VmStatus(e.getKey(), node.index(e.getKey()), node.incarnation(e.getKey()), g.position,
          Arrays.stream(g.sent).sum(), Arrays.stream(g.received).sum()));
    }
    return out;
  }

  /**
   * The guest dies (a simulated crash: its state and memory are gone) and its host rebuilds it at once from its
   * latest checkpoint staged here and its volatile receive log, replaying up to where it was: a VM failure costs
   * no other VM anything.
   */
  void crashGuest(int vm) {
    if (real != null) {
      throw new IllegalStateException("VM " + vm + " is a real guest: its failure on a live host is not rebuilt from the "
          + "volatile log (a real guest is not piecewise deterministic)");
    }
    PwdGuest g = guests.remove(vm);
    if (g == null) throw new IllegalStateException("VM " + vm + " does not run on " + hostUuid);
    stepToken.merge(vm, 1L, Long::sum);
    events.emit("vm_failure", "vm", vm, "host", hostUuid, "position", g.position, "state", g.hash);
    checkpoints.stopGuest(vmUuid(vm));
    checkpoints.startGuest(vmUuid(vm), deploy.guests().memoryMiB(), deploy.guests().dirtyPagesPerSecond(), vm);
    node.onVmFailure(vm);
    scheduleStep(vm);
    release();
  }

  // ---- orders of the manager (loop thread) --------------------------------------------------------------------

  void restore(VmRestore restore, String checkpointLocation, List<String> segmentLocations) {
    // Done before, or overtaken: the VM runs on as it is. Held for replays that no order may ever bring (the
    // recovery that sent this again can fail before its replays), it would stand still for good.
    if (node.hasDone(restore)) return;
    recovering.add(restore.vm());
    // It runs here now: this host's VMs send to it here at once (held until its replays are in), not to its old
    // host, where a frame would be lost with no sender copy kept (a copy is kept only for another host's VM).
    placement.place(restore.vm(), relay.address());
    stepToken.merge(restore.vm(), 1L, Long::sum);
    restoringTo = restore;
    try {
      if (real != null) real.cutAround(List.of(restore.vm()), () -> node.restoreToLine(restore, checkpointLocation, segmentLocations));
      else node.restoreToLine(restore, checkpointLocation, segmentLocations);
    } finally {
      restoringTo = null;
    }
  }

  void replay(int vm, List<Replay> replays, Map<Message, byte[]> payloads, Map<Message, String> stableLocations) {
    if (real != null) {
      real.cutAround(List.of(vm), () -> node.replay(vm, replays, payloads, stableLocations));
      real.replaysIn(vm);
    } else {
      node.replay(vm, replays, payloads, stableLocations);
    }
    recovering.remove(vm);
    release();
    scheduleStep(vm);
  }

  /** The manager moved the recovery line: the node drops what it kept for older lines, real guests their old disk layers. */
  void line(long index) {
    node.onLine(index);
    if (real != null) real.collect(index);
  }

  void placement(int vm, String tunnel) {
    InetSocketAddress address = UdpTunnel.parseAddress(tunnel);
    placement.place(vm, address);
    node.onPlacement(vm);
  }

  /**
   * Whether the group must not run now. Every guest step, boundary and frame asks, not only the agent's watchdog:
   * after the process was frozen (SIGSTOP), tasks that became due run in any order, and none may act on a lease
   * that ran out meanwhile.
   */
  private boolean blocked() {
    if (!stopped && !leaseHeld.getAsBoolean()) stop("lease");
    return stopped || frozen;
  }

  /** A recovery runs: the group stands still (no step, frames held) while its orders come in. */
  void freeze() {
    frozen = true;
    if (real != null) real.block();
  }

  /** The recovery is over: catch up with the clock, let the held frames in, step again. */
  void thaw() {
    if (!frozen || closed) return;
    frozen = false;
    if (stopped) return; // the lease decides
    if (real != null) real.unblock(); // before the catch-up cut, as in resume()
    boundary();
    release();
    for (int vm : guests.keySet()) scheduleStep(vm);
  }

  // ---- frames ------------------------------------------------------------------------------------------------

  private void arrive(Message m, byte[] payload) {
    if (closed) return;
    if (blocked() || mustWait(m.to())) {
      held.addLast(new Held(m, payload));
      return;
    }
    deliverInOrder(m, payload);
  }

  /**
   * The tunnel keeps order per pair of hosts, not per channel: a sender that migrated sends from a new host, whose
   * first frames can overtake its last ones from the old host. A frame ahead of its channel waits until the gap
   * is filled (by the late frame, or by its sender's resend after a placement), then goes in order.
   */
  private void deliverInOrder(Message m, byte[] payload) {
    try {
      arrival(m, payload);
    } catch (ChannelGapException gap) {
      ahead.addLast(new Held(m, payload));
      events.emit("frame_ahead", "id", id(m), "host", hostUuid);
      return;
    }
    for (boolean progress = true; progress && !ahead.isEmpty(); ) {
      progress = false;
      for (int i = ahead.size(); i > 0; i--) {
        Held h = ahead.pollFirst();
        try {
          arrival(h.message(), h.payload());
          progress = true;
        } catch (ChannelGapException still) {
          ahead.addLast(h);
        }
      }
    }
  }

  /**
   * Frames wait for a VM being recovered here until its replays are in, and for a VM placed here that has not
   * started yet (the other hosts boot theirs at the same moment, and a lost frame would break its channel).
   */
  private boolean mustWait(int vm) {
    if (real != null && real.running(vm) && !real.nicUp(vm)) return true; // lost in a NIC with no driver yet
    return recovering.contains(vm) || (!running(vm) && placedHere(vm));
  }

  private boolean placedHere(int vm) {
    InetSocketAddress at = placement.hostOf(vm);
    return at != null && at.equals(relay.address());
  }

  private void release() {
    if (stopped || frozen) return;
    int n = held.size();
    for (int i = 0; i < n; i++) {
      Held h = held.pollFirst();
      if (mustWait(h.message().to())) {
        held.addLast(h);
        continue;
      }
      try {
        deliverInOrder(h.message(), h.payload());
      } catch (RuntimeException e) {
        events.emit("frame_refused", "id", id(h.message()), "host", hostUuid, "error", e.getMessage());
      }
    }
  }

  // ---- the guests (Guests port) ------------------------------------------------------------------------------

  @Override public boolean running(int vm) {
    if (real != null) return real.running(vm);
    return guests.containsKey(vm) || rebuilding.containsKey(vm);
  }

  @Override public long position(int vm) {
    if (real != null) return real.position(vm);
    PwdGuest g = rebuilding.containsKey(vm) ? rebuilding.get(vm) : guests.get(vm);
    if (g == null) throw new IllegalStateException("VM " + vm + " does not run on " + hostUuid);
    return g.position;
  }

  @Override public void deliver(LogEntry entry, byte[] payload, Replay replay) {
    Message m = entry.message();
    if (real != null) {
      // A real guest's state has no digest to log: what reached it, and when, is what explains a recovery.
      events.emit(replay == null ? "frame_delivered" : "frame_replayed", "id", id(m), "from", m.from(), "to", m.to(),
          "seq", m.seq(), "index", m.index(), "incarnation", m.incarnation(), "rsn", entry.rsn(),
          "receiver_index", entry.receiverIndex(), "host", hostUuid);
      real.deliver(m.to(), payload);
      return;
    }
    PwdGuest g = guests.get(m.to());
    if (!Arrays.equals(payload, PwdGuest.payload(m.from(), m.to(), m.digest()))) {
      events.emit("payload_damaged", "id", id(m), "host", hostUuid);
    }
    g.receive(m.from(), m.digest());
    events.emitAt(acted(), replay == null ? "deliver" : "replay", "id", id(m), "from", m.from(), "to", m.to(), "seq", m.seq(),
        "index", m.index(), "incarnation", m.incarnation(), "digest", m.digest(), "rsn", entry.rsn(),
        "receiver_index", entry.receiverIndex(), "host", hostUuid, "state", g.hash);
    if (replay == null) scheduleStep(m.to()); // its state changed, so does what it does next
  }

  @Override public void checkpoint(BoundaryRecord r) {
    if (real != null) {
      events.emitAt(acted(), "checkpoint", "vm", r.vm(), "index", r.index(), "forced", r.forced(),
          "incarnation", r.incarnation(), "host", hostUuid);
      CheckpointKey key = GuestCheckpoints.key(vmUuid(r.vm()), r.index(), r.incarnation());
      real.checkpoint(r, key, progress(r, key, key.checkpointId()));
      return;
    }
    PwdGuest snapshot = guests.get(r.vm()).copy();
    events.emitAt(acted(), "checkpoint", "vm", r.vm(), "index", r.index(), "forced", r.forced(), "incarnation", r.incarnation(),
        "host", hostUuid, "state", snapshot.hash, "position", snapshot.position, "sent", snapshot.sent,
        "received", snapshot.received);
    CheckpointKey key = GuestCheckpoints.key(vmUuid(r.vm()), r.index(), r.incarnation());
    checkpoints.checkpoint(key, snapshot, progress(r, key, Long.toHexString(snapshot.hash)));
  }

  /**
   * What the node hears of a checkpoint: staged on this host, then stable; at the same location both times (the
   * catalog's row names where the checkpoint is kept, and the collector deletes it by that name from either store).
   */
  private GuestCheckpoints.Progress progress(BoundaryRecord r, CheckpointKey key, String digest) {
    long[] size = new long[1];
    return new GuestCheckpoints.Progress() {
      @Override public void staged(long storedBytes) {
        size[0] = storedBytes;
        onLoop(() -> node.onCheckpointStaged(r, GuestCheckpoints.location(key), storedBytes, digest));
      }

      @Override public void stable(String location) {
        onLoop(() -> {
          events.emit("stable", "vm", r.vm(), "index", r.index(), "kind", "checkpoint", "incarnation", r.incarnation(),
              "host", hostUuid);
          node.onCheckpointStable(r, location, size[0], digest);
        });
      }

      @Override public void failed(Exception e) {
        events.emit("checkpoint_failed", "vm", r.vm(), "index", r.index(), "host", hostUuid, "error", e.toString());
        onLoop(() -> node.onCheckpointAbandoned(r)); // else it would hold the VM back from migrating for good
      }
    };
  }

  @Override public void rebuild(int vm, BoundaryRecord checkpoint, String location, List<LoggedMessage> replay,
                                long until) {
    if (real != null) {
      rebuildReal(vm, checkpoint, location, replay);
      return;
    }
    PwdGuest g;
    long readStart = System.nanoTime();
    try {
      g = location == null
          ? checkpoints.stagedState(GuestCheckpoints.key(vmUuid(vm), checkpoint.index(), checkpoint.incarnation()), vm,
              deploy.config().size())
          : checkpoints.restore(location, vm, deploy.config().size(), deploy.guests().memoryMiB(),
              deploy.guests().dirtyPagesPerSecond());
    } catch (IOException e) {
      throw new IllegalStateException("cannot restore VM " + vm + " from " + location + ": " + e.getMessage(), e);
    }
    double readMs = (System.nanoTime() - readStart) / 1e6; // the checkpoint read back and verified
    guests.remove(vm);
    rebuilding.put(vm, g);
    try {
      for (LoggedMessage e : replay) {
        Message m = e.entry().message();
        while (g.position < e.entry().position()) replayStep(g);
        g.receive(m.from(), m.digest());
      }
      while (g.position < until) replayStep(g);
    } finally {
      rebuilding.remove(vm);
    }
    guests.put(vm, g);
    if (restoringTo != null && restoringTo.vm() == vm) {
      events.emit("restore", "vm", vm, "host", hostUuid, "kind", "line", "checkpoint", checkpoint.index(),
          "line", restoringTo.lineState().index(), "segments", restoringTo.segments().size(),
          "incarnation", restoringTo.incarnation(), "state", g.hash, "position", g.position, "sent", g.sent,
          "received", g.received, "read_ms", Math.round(readMs));
    } else {
      events.emit("restore", "vm", vm, "host", hostUuid, "kind", "vm", "checkpoint", checkpoint.index(),
          "incarnation", checkpoint.incarnation(), "replayed", replay.size(), "state", g.hash, "position", g.position,
          "sent", g.sent, "received", g.received, "read_ms", Math.round(readMs));
    }
  }

  /** A real guest comes back from a stable checkpoint only: it cannot replay a log segment. */
  private void rebuildReal(int vm, BoundaryRecord checkpoint, String location, List<LoggedMessage> replay) {
    if (location == null) {
      throw new IllegalStateException("VM " + vm + " is a real guest: it restores stable checkpoints only, not one staged here");
    }
    if (!replay.isEmpty()) {
      throw new IllegalStateException("VM " + vm + " is a real guest: " + replay.size() + " logged messages cannot rebuild "
          + "its state past checkpoint " + checkpoint.index());
    }
    long readStart = System.nanoTime();
    try {
      // The guest's NIC was up at the checkpoint if it had sent a frame by then (the first one says so).
      real.restore(vm, vmUuid(vm), location, checkpoint.position(), Arrays.stream(checkpoint.sentTo()).sum() > 0);
    } catch (IOException e) {
      throw new IllegalStateException("cannot restore VM " + vm + " from " + location + ": " + e.getMessage(), e);
    }
    events.emit("restore", "vm", vm, "host", hostUuid, "kind", restoringTo != null && restoringTo.vm() == vm ? "line" : "vm",
        "checkpoint", checkpoint.index(), "incarnation", restoringTo != null ? restoringTo.incarnation() : checkpoint.incarnation(),
        "line", restoringTo != null ? restoringTo.lineState().index() : checkpoint.index(),
        "read_ms", (System.nanoTime() - readStart) / 1_000_000);
  }

  /** A guest being rebuilt redoes a step: the node must recognise the send as one made before. */
  private void replayStep(PwdGuest g) {
    PwdGuest.Send s = g.step(rates[g.vm]);
    Optional<Message> stamped = node.send(g.vm, s.to(), PwdGuest.payload(g.vm, s.to(), s.digest()), s.digest());
    stamped.ifPresent(m -> events.emit("replay_sent_again", "id", id(m), "host", hostUuid));
  }

  @Override public void stop(int vm) {
    stopGuest(vm, "evicted");
  }

  // ---- live migration (the hypervisor's part: the guest itself) ----------------------------------------------

  /** The guest leaves with its execution state, which the agent hands the manager with the node's migration. */
  @Override public void handOff(int vm, String target) {
    if (real != null) throw new UnsupportedOperationException("VM " + vm + " is a real guest: live migration is not supported for it yet");
    PwdGuest g = guests.remove(vm);
    if (g == null) throw new IllegalStateException("VM " + vm + " does not run on " + hostUuid);
    stepToken.merge(vm, 1L, Long::sum);
    handedOff.put(vm, new GuestState(vm, g.hash, g.position, g.sent.clone(), g.received.clone()));
    checkpoints.stopGuest(vmUuid(vm));
    events.emit("vm_stop", "vm", vm, "host", hostUuid, "reason", "migrated");
  }

  /** The guest state of the VM handed off last, for the manager to carry to the target. */
  GuestState handedOff(int vm) {
    GuestState g = handedOff.get(vm);
    if (g == null) throw new IllegalStateException("VM " + vm + " was not handed off by " + hostUuid);
    return g;
  }

  /** Takes a migrated VM over: the node's state first ({@code HostNode.immigrate}), its guest through this. */
  void immigrate(VmMigration migration, GuestState guest) {
    arriving = guest;
    try {
      node.immigrate(migration);
    } finally {
      arriving = null;
    }
    placement.place(migration.transfer().vm(), relay.address());
    release();
  }

  @Override public void takeOver(int vm, VmMigration migration) {
    GuestState s = arriving;
    if (s == null || s.vm() != vm) throw new IllegalStateException("no guest state came with VM " + vm);
    PwdGuest g = PwdGuest.of(vm, s.hash(), s.position(), s.sent(), s.received());
    // A real hypervisor streams the memory with the guest; a simulated one starts it anew (its content is not
    // the guest's state: the state above is).
    checkpoints.startGuest(vmUuid(vm), deploy.guests().memoryMiB(), deploy.guests().dirtyPagesPerSecond(), vm);
    guests.put(vm, g);
    events.emit("vm_start", "vm", vm, "host", hostUuid, "incarnation", migration.transfer().incarnation(),
        "reason", "migrated", "state", g.hash, "position", g.position);
    scheduleStep(vm);
  }

  private void stopGuest(int vm, String reason) {
    if (real != null) {
      real.stop(vm, reason);
      return;
    }
    if (guests.remove(vm) == null) return;
    stepToken.merge(vm, 1L, Long::sum);
    checkpoints.stopGuest(vmUuid(vm));
    events.emit("vm_stop", "vm", vm, "host", hostUuid, "reason", reason);
  }

  private void scheduleStep(int vm) {
    if (real != null) return; // real guests send on their own
    long token = stepToken.merge(vm, 1L, Long::sum);
    PwdGuest g = guests.get(vm);
    double total = rates[vm][rates[vm].length - 1];
    if (g == null || total <= 0 || quiet) return;
    long delayMicros = (long) (g.delayToNextSend(total) * deploy.config().basePeriod() * 1000);
    loop.schedule(() -> {
      if (closed || quiet || blocked() || recovering.contains(vm) || stepToken.get(vm) != token
          || !guests.containsKey(vm)) return;
      step(vm);
      scheduleStep(vm);
    }, delayMicros, TimeUnit.MICROSECONDS);
  }

  private void step(int vm) {
    PwdGuest g = guests.get(vm);
    Instant sentAt = acted(); // before the frame can reach anyone
    PwdGuest.Send s = g.step(rates[vm]);
    relay.hold(); // the send is in the event log before its frame leaves (a SIGKILL may come in between)
    try {
      Optional<Message> stamped = node.send(vm, s.to(), PwdGuest.payload(vm, s.to(), s.digest()), s.digest());
      if (stamped.isEmpty()) {
        events.emit("send_suppressed", "vm", vm, "host", hostUuid, "position", g.position);
        return;
      }
      Message m = stamped.get();
      events.emitAt(sentAt, "send", "id", id(m), "from", m.from(), "to", m.to(), "seq", m.seq(), "index", m.index(),
          "incarnation", m.incarnation(), "digest", m.digest(), "host", hostUuid, "position", g.position);
    } finally {
      relay.release();
    }
  }

  // ---- the clock (HostClock port) ----------------------------------------------------------------------------

  @Override public long index() {
    long elapsed = System.currentTimeMillis() - deploy.epochMillis();
    return elapsed <= 0 ? 0 : elapsed / deploy.config().basePeriod();
  }

  private void scheduleBoundary() {
    long next = index() + 1;
    long delay = deploy.epochMillis() + next * deploy.config().basePeriod() - System.currentTimeMillis();
    loop.schedule(() -> {
      if (closed) return;
      if (!blocked()) boundary();
      scheduleBoundary();
    }, Math.max(0, delay), TimeUnit.MILLISECONDS);
  }

  // ---- stable log writes (LogWriter port) --------------------------------------------------------------------

  @Override public void write(LogWrite w) {
    if (w instanceof LogWrite.Segment s) {
      BoundaryRecord r = s.record();
      PwdGuest g = guests.get(r.vm());
      events.emitAt(acted(), "log_segment", "vm", r.vm(), "index", r.index(), "incarnation", r.incarnation(),
          "entries", s.entries().size(), "host", hostUuid, "state", g == null ? 0 : g.hash,
          "position", g == null ? 0 : g.position, "sent", g == null ? null : g.sent.clone(),
          "received", g == null ? null : g.received.clone());
    }
    writeStable(w, 0);
  }

  private void writeStable(LogWrite w, int attempt) {
    logWriter.execute(() -> {
      try {
        String location = w instanceof LogWrite.Segment s
            ? logStore.writeSegment(group, s.record(), s.entries())
            : logStore.writeInTransit(group, ((LogWrite.InTransit) w).message());
        onLoop(() -> node.onLogStable(w, location));
      } catch (IOException e) {
        // A full or failing stable store: the line waits for this record; try again.
        events.emit("log_write_failed", "host", hostUuid, "attempt", attempt, "error", e.toString());
        loop.schedule(() -> writeStable(w, attempt + 1), Math.min(5000, 200L << Math.min(attempt, 5)),
            TimeUnit.MILLISECONDS);
      }
    });
  }

  // ---- reports (ManagerLink port) ----------------------------------------------------------------------------

  @Override public void report(String groupId, List<NodeReport> batch) {
    List<Report> out = new ArrayList<>(batch.size());
    for (NodeReport r : batch) {
      if (r instanceof NodeReport.Boundary b) {
        out.add(new Report(b.record(), b.stable(), b.location(), b.sizeBytes(), b.contentDigest(), null));
      } else if (r instanceof NodeReport.InTransit t) {
        out.add(new Report(null, true, t.location(), 0, null, t.entry()));
      }
    }
    reports.send(new Reports(hostUuid, groupId, out));
  }

  // ---- plumbing ----------------------------------------------------------------------------------------------

  private void onLoop(Runnable r) {
    loop.execute(() -> {
      if (!closed) r.run();
    });
  }

  private String vmUuid(int vm) {
    for (Member m : deploy.members()) if (m.number() == vm) return m.vmUuid();
    throw new IllegalArgumentException("group " + group + " has no VM " + vm);
  }

  static String id(Message m) {
    return m.from() + "-" + m.to() + "-" + m.seq() + (m.incarnation() > 0 ? "i" + m.incarnation() : "");
  }

}
