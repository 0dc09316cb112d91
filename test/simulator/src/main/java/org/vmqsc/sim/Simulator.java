package org.vmqsc.sim;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.SortedSet;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.vmqsc.protocol.BoundaryRecord;
import org.vmqsc.protocol.GroupConfig;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.Message;
import org.vmqsc.protocol.host.HostAction;
import org.vmqsc.protocol.host.HostRules;
import org.vmqsc.protocol.host.SenderCopy;
import org.vmqsc.protocol.host.VmReplayPlan;
import org.vmqsc.protocol.manager.LineKeeper;
import org.vmqsc.protocol.manager.RecoveryLine;
import org.vmqsc.protocol.recovery.RecoveryPlan;
import org.vmqsc.protocol.recovery.RecoveryPlanner;
import org.vmqsc.protocol.recovery.Replay;
import org.vmqsc.protocol.recovery.Survivors;
import org.vmqsc.protocol.recovery.VmRestore;

/**
 * A deterministic discrete-event simulation of one protection group on a small cluster, driving the protocol's
 * host rules, line keeper and recovery planner, with the oracle checking every recovery. The same config (seed
 * included) gives the same run, event for event.
 *
 * <p>Model: hosts with clock offset and drift tick base boundaries; guests are piecewise deterministic; messages
 * take a random delay on FIFO channels; a checkpoint is captured at once (live, like QEMU's background snapshot),
 * written on the host after {@code checkpointDuration} and on stable storage after a further {@code flushDelay};
 * log writes take {@code flushDelay}. A failed host loses its memory, staged checkpoints and logs; messages on the
 * wire to it are lost. The manager (reliable) sees a host failure after {@code detectionDelay} and recovers; a
 * repaired host rejoins empty after {@code repairDelay}.
 */
public final class Simulator {

  private final SimConfig cfg;
  private final GroupConfig group;
  private final EventSink events;
  private final SimReport report = new SimReport();
  private final Oracle oracle;
  private final SplittableRandom random;

  private final PriorityQueue<Scheduled> queue = new PriorityQueue<>();
  private long scheduledCount;
  private double now;
  private boolean draining;

  private final Host[] hosts;
  private final Guest[] guests;
  private final int[] hostOf;
  private final boolean[] paused;
  private final List<ArrayDeque<Message>> held = new ArrayList<>();
  private final long[] stepToken;
  private final double[][] cumulativeRates;
  private final double[] totalRate;
  private final double[][] lastArrival;
  private final long[] mustReach;

  private final LineKeeper keeper;
  private final StableStore stable = new StableStore();
  private final Set<Long> stablyLogged = new HashSet<>();
  /** Every rollback announced so far, for hosts that rejoin after a repair. */
  private final List<RollbackNotice> rollbackNotices = new ArrayList<>();
  /** Fault injection for the oracle's own tests: a way to break the planner's answer. */
  private java.util.function.UnaryOperator<RecoveryPlan> planTampering = java.util.function.UnaryOperator.identity();

  private record RollbackNotice(int vm, int incarnation, long[] sentToAtLine) {}

  private record Scheduled(double time, long order, Runnable action) implements Comparable<Scheduled> {
    @Override public int compareTo(Scheduled o) {
      int c = Double.compare(time, o.time);
      return c != 0 ? c : Long.compare(order, o.order);
    }
  }

  /** A host: its protocol rules, its clock, and what it staged. Replaced by a fresh one when it fails. */
  private final class Host {
    final int id;
    final double offset;
    final double rate;
    HostRules rules;
    boolean alive = true;
    int generation;
    long index;
    final Map<BoundaryRecord, Guest> staged = new HashMap<>();

    Host(int id) {
      this.id = id;
      this.offset = (random.nextDouble() * 2 - 1) * cfg.maxDrift() * cfg.basePeriod();
      this.rate = 1 + (random.nextDouble() * 2 - 1) * cfg.maxDrift() / 100;
      this.rules = new HostRules(group);
    }

    double boundaryTime(long n) {
      return Math.max(0, (n * cfg.basePeriod() - offset) / rate);
    }

    long indexAt(double t) {
      return (long) Math.floor((t * rate + offset) / cfg.basePeriod());
    }
  }

  public Simulator(SimConfig cfg, EventSink events) {
    this.cfg = cfg;
    this.events = events;
    this.group = new GroupConfig(cfg.basePeriod(), cfg.classes(), cfg.earlyIndexPolicy());
    this.random = new SplittableRandom(cfg.seed());
    int n = cfg.vms();
    this.oracle = new Oracle(n, this::violation);
    this.keeper = new LineKeeper(group);
    this.hosts = new Host[cfg.hosts()];
    for (int h = 0; h < hosts.length; h++) hosts[h] = new Host(h);
    this.guests = new Guest[n];
    this.hostOf = new int[n];
    this.paused = new boolean[n];
    this.stepToken = new long[n];
    this.mustReach = new long[n];
    this.lastArrival = new double[n][n];
    this.cumulativeRates = new double[n][n];
    this.totalRate = new double[n];
    for (int i = 0; i < n; i++) {
      held.add(new ArrayDeque<>());
      double sum = 0;
      for (int j = 0; j < n; j++) {
        sum += cfg.workload().rate(cfg.classes(), i, j);
        cumulativeRates[i][j] = sum;
      }
      totalRate[i] = sum;
    }
  }

  /** Runs to the end, drains, runs the final checks; throws {@link OracleViolation} on the first violation. */
  public SimReport run() {
    start();
    scheduleFailures();
    at(cfg.endTime(), () -> draining = true);
    while (!queue.isEmpty()) {
      Scheduled s = queue.poll();
      now = s.time();
      s.action().run();
    }
    finish();
    return report;
  }

  // ---- start ------------------------------------------------------------------------------------------------

  private void start() {
    for (int vm = 0; vm < cfg.vms(); vm++) {
      Host h = hosts[vm % hosts.length];
      hostOf[vm] = h.id;
      guests[vm] = new Guest(vm, cfg.vms(), cfg.seed());
      BoundaryRecord c0 = h.rules.start(vm).record();
      // The first checkpoint is the VM's boot state, on stable storage before the group starts.
      Guest snap = guests[vm].copy();
      oracle.onBoundary(vm, 0, snap);
      h.staged.put(c0, snap);
      h.rules.checkpointStaged(c0);
      stable.putCheckpoint(c0, snap);
      keeper.record(c0);
      keeper.markStable(vm, 0, 0);
      report.checkpointsBasic++;
      emit("checkpoint", "vm", vm, "csn", 0L, "forced", false, "incarnation", 0, "sent", c0.sentTo(),
          "received", c0.receivedFrom());
    }
    advanceLine();
    for (Host h : hosts) scheduleBoundary(h, 1);
    for (int vm = 0; vm < cfg.vms(); vm++) scheduleStep(vm);
  }

  // ---- guests -----------------------------------------------------------------------------------------------

  private void scheduleStep(int vm) {
    long token = ++stepToken[vm];
    if (totalRate[vm] <= 0 || stopped(vm)) return;
    double delay = guests[vm].delayToNextSend(totalRate[vm]) * cfg.basePeriod();
    at(now + delay, () -> {
      if (token != stepToken[vm] || paused[vm] || guests[vm] == null || stopped(vm)) return;
      send(vm);
      scheduleStep(vm);
    });
  }

  /**
   * After the end of traffic a guest stops, unless it has not yet passed the point where it failed or was rolled
   * back: then it runs on until it has, so the oracle can check that every VM eventually gets past it.
   */
  private boolean stopped(int vm) {
    return draining && guests[vm] != null && guests[vm].position >= mustReach[vm];
  }

  private void send(int vm) {
    Guest g = guests[vm];
    Host h = hosts[hostOf[vm]];
    Guest.Send s = g.step(cumulativeRates[vm]);
    Optional<Message> stamped = h.rules.stamp(vm, s.to(), 1024, s.digest(), g.position);
    if (stamped.isEmpty()) {
      violation("a live send of VM " + vm + " at position " + g.position + " was taken for a replay");
      return;
    }
    Message m = stamped.get();
    oracle.onSend(m, g);
    report.messagesSent++;
    if (hostOf[m.to()] != h.id) report.volatileLogged++;
    emit("send", "id", id(m), "from", m.from(), "to", m.to(), "seq", m.seq(), "csn", m.csn(), "incarnation", m.incarnation());
    transmit(m);
  }

  /** A guest being rebuilt redoes a step: the relay must recognise the send as one it made before. */
  private void replayStep(Guest g, HostRules rules) {
    Guest.Send s = g.step(cumulativeRates[g.vm]);
    Optional<Message> stamped = rules.stamp(g.vm, s.to(), 1024, s.digest(), g.position);
    if (stamped.isPresent()) {
      violation("replayed step of VM " + g.vm + " at position " + g.position + " was sent again as " + stamped.get());
    }
    oracle.onReplayedSend(g.vm, s.to(), g.sent[s.to()], s.digest());
    report.duplicatesDropped++;
  }

  private void transmit(Message m) {
    int from = hostOf[m.from()];
    int to = hostOf[m.to()];
    double base = from == to ? cfg.sameHostDelay() : cfg.crossHostDelay();
    double t = Math.max(now + base * (0.5 + random.nextDouble()), lastArrival[m.from()][m.to()]);
    lastArrival[m.from()][m.to()] = t;
    Host dest = hosts[to];
    int generation = dest.generation;
    at(t, () -> arrive(m, dest, generation));
  }

  private void arrive(Message m, Host dest, int generation) {
    if (!dest.alive || dest.generation != generation || hostOf[m.to()] != dest.id) {
      report.lostInNetwork++;
      emit("lost", "id", id(m), "host", dest.id);
      return;
    }
    if (paused[m.to()]) {
      held.get(m.to()).addLast(m);
      return;
    }
    receive(m, dest, false);
  }

  private void receive(Message m, Host h, boolean replay) {
    execute(h, h.rules.onArrival(m, guests[m.to()].position), replay);
  }

  // ---- host actions -----------------------------------------------------------------------------------------

  private void execute(Host h, List<HostAction> actions, boolean replay) {
    for (HostAction a : actions) {
      if (a instanceof HostAction.TakeCheckpoint t) {
        takeCheckpoint(h, t.record());
      } else if (a instanceof HostAction.WriteLogSegment w) {
        writeSegment(h, w.record(), w.entries());
      } else if (a instanceof HostAction.WriteInTransit w) {
        writeInTransit(h, w.entry());
      } else if (a instanceof HostAction.Deliver d) {
        deliver(d.entry(), replay);
      } else if (a instanceof HostAction.Acknowledge k) {
        acknowledge(k.entries());
      } else if (a instanceof HostAction.Drop d) {
        if (d.reason() == HostAction.DropReason.DUPLICATE) report.duplicatesDropped++; else report.staleDropped++;
        emit("drop", "id", id(d.message()), "reason", d.reason().name().toLowerCase());
      }
    }
  }

  private void takeCheckpoint(Host h, BoundaryRecord r) {
    Guest snap = guests[r.vm()].copy();
    oracle.onBoundary(r.vm(), r.index(), snap);
    if (r.forced()) report.checkpointsForced++; else report.checkpointsBasic++;
    emit("checkpoint", "vm", r.vm(), "csn", r.index(), "forced", r.forced(), "incarnation", r.incarnation(),
        "sent", r.sentTo(), "received", r.receivedFrom());
    int generation = h.generation;
    at(now + cfg.checkpointDuration(), () -> {
      if (h.generation != generation) return;
      h.staged.put(r, snap);
      h.rules.checkpointStaged(r);
      keeper.record(r);
      at(now + cfg.flushDelay(), () -> {
        if (h.generation != generation) return;
        stable.putCheckpoint(r, snap);
        becameStable(r);
      });
    });
  }

  private void writeSegment(Host h, BoundaryRecord r, List<LogEntry> entries) {
    oracle.onBoundary(r.vm(), r.index(), guests[r.vm()].copy());
    report.logSegments++;
    keeper.record(r);
    int generation = h.generation;
    at(now + cfg.flushDelay(), () -> {
      if (h.generation != generation) return;
      stable.putSegment(r, entries);
      for (LogEntry e : entries) stablyLogged(e.message());
      becameStable(r);
    });
  }

  private void writeInTransit(Host h, LogEntry e) {
    report.lateMessages++;
    int generation = h.generation;
    at(now + cfg.flushDelay(), () -> {
      if (h.generation != generation) return;
      stable.putInTransit(e);
      stablyLogged(e.message());
      keeper.markInTransitLogged(e.message());
      advanceLine();
    });
  }

  private void stablyLogged(Message m) {
    if (stablyLogged.add(Guest.mix(Guest.mix(m.from() * 4096L + m.to(), m.seq()), m.incarnation()))) report.stableLogged++;
  }

  private void becameStable(BoundaryRecord r) {
    keeper.markStable(r.vm(), r.index(), r.incarnation());
    emit("stable", "vm", r.vm(), "index", r.index(), "kind", r.kind().name().toLowerCase(), "incarnation", r.incarnation());
    advanceLine();
  }

  private void deliver(LogEntry e, boolean replay) {
    Message m = e.message();
    Guest g = guests[m.to()];
    oracle.onDeliver(m, g);
    g.receive(m.from(), m.digest());
    report.messagesDelivered++;
    report.volatileLogged++;
    if (replay) report.replayed++;
    emit(replay ? "replay" : "deliver", "id", id(m), "from", m.from(), "to", m.to(), "seq", m.seq(), "csn", m.csn(),
        "rsn", e.rsn(), "epoch", e.epoch());
    if (!replay) scheduleStep(m.to()); // the state changed, so does what the guest does next
  }

  /** One message to each sender host, carrying its share of the batch. */
  private void acknowledge(List<LogEntry> entries) {
    Map<Host, List<LogEntry>> bySenderHost = new java.util.LinkedHashMap<>();
    for (LogEntry e : entries) {
      bySenderHost.computeIfAbsent(hosts[hostOf[e.message().from()]], h -> new ArrayList<>()).add(e);
    }
    bySenderHost.forEach((sender, share) -> {
      int generation = sender.generation;
      report.acknowledgements++;
      at(now + cfg.crossHostDelay(), () -> {
        if (sender.alive && sender.generation == generation) share.forEach(sender.rules::onAcknowledge);
      });
    });
  }

  private void advanceLine() {
    Optional<RecoveryLine> moved = keeper.advance();
    if (moved.isEmpty()) return;
    RecoveryLine line = moved.get();
    boolean allStable = true;
    for (int vm = 0; vm < cfg.vms(); vm++) {
      allStable &= stable.hasCheckpoint(keeper.checkpointAt(vm, line.index()));
      for (BoundaryRecord s : keeper.segmentsTo(vm, line.index())) allStable &= stable.segment(s) != null;
    }
    oracle.onLine(line.index(), allStable);
    report.lineIndex = line.index();
    emit("line", "index", line.index(), "checkpoints", line.checkpointOf());
    for (Host h : hosts) if (h.alive) h.rules.onLine(line.index());
    stable.collect(keeper.collectible());
    keeper.collect();
  }

  // ---- the clock --------------------------------------------------------------------------------------------

  private void scheduleBoundary(Host h, long n) {
    double t = h.boundaryTime(n);
    if (t > cfg.endTime()) return;
    int generation = h.generation;
    at(t, () -> {
      if (!h.alive || h.generation != generation) return;
      h.index = n;
      for (int vm : List.copyOf(h.rules.vms())) {
        if (guests[vm] != null) execute(h, h.rules.onBoundary(vm, n, guests[vm].position), false);
      }
      scheduleBoundary(h, n + 1);
    });
  }

  // ---- failures ---------------------------------------------------------------------------------------------

  private void scheduleFailures() {
    double first = cfg.basePeriod();
    double last = Math.max(first + 1, 0.6 * cfg.endTime());
    for (int i = 0; i < cfg.vmFailures(); i++) {
      int vm = random.nextInt(cfg.vms());
      at(first + random.nextDouble() * (last - first), () -> failVm(vm));
    }
    double previous = -1;
    for (int i = 0; i < cfg.hostFailures(); i++) {
      int host = random.nextInt(cfg.hosts());
      double t;
      if (cfg.failuresDuringRecovery() && previous > 0 && random.nextBoolean()) {
        // Inside the previous failure's detection or restart window.
        t = previous + random.nextDouble() * (cfg.detectionDelay() + cfg.restartPause());
      } else {
        t = first + random.nextDouble() * (last - first);
      }
      previous = t;
      at(t, () -> failHost(host));
    }
  }

  private void failVm(int vm) {
    Host h = hosts[hostOf[vm]];
    if (!h.alive || guests[vm] == null) {
      report.failuresSkipped++;
      return;
    }
    Guest failed = guests[vm];
    emit("vm_failure", "vm", vm, "host", h.id, "position", failed.position);
    if (!cfg.deterministicGuests()) {
      // A real guest does not replay deterministically (hole 7): back to the line, as after a host failure, but
      // its host's logs survive and serve the replays. (Hosts that failed unseen are recovered in the same plan.)
      mustReach[vm] = Math.max(mustReach[vm], failed.position);
      guests[vm] = null;
      recoverFailedHosts();
      return;
    }
    VmReplayPlan plan = h.rules.planVmFailure(vm);
    Guest snap = h.staged.getOrDefault(plan.checkpoint(), stable.checkpoint(plan.checkpoint()));
    if (snap == null) {
      violation("VM " + vm + "'s checkpoint " + plan.checkpoint() + " is neither staged nor stable");
      return;
    }
    Guest g = snap.copy();
    for (LogEntry e : plan.entries()) {
      while (g.position < e.position()) replayStep(g, h.rules);
      oracle.onReplayedDelivery(e.message(), g);
      g.receive(e.message().from(), e.message().digest());
    }
    while (g.position < plan.replayUntil()) replayStep(g, h.rules);
    oracle.checkReplayedState(vm, g, failed.position, failed.hash);
    guests[vm] = g;
    report.vmRecoveries++;
    report.recoveriesChecked++;
    emit("restore", "vm", vm, "checkpoint", plan.checkpoint().index(), "replayed", plan.entries().size(), "kind", "vm");
    pause(vm);
  }

  private void failHost(int host) {
    Host h = hosts[host];
    long alive = java.util.Arrays.stream(hosts).filter(x -> x.alive).count();
    if (!h.alive || alive <= 1) {
      report.failuresSkipped++;
      return;
    }
    emit("host_failure", "host", host);
    h.alive = false;
    h.generation++;
    h.staged.clear();
    for (int vm = 0; vm < cfg.vms(); vm++) {
      if (hostOf[vm] == host && guests[vm] != null) {
        mustReach[vm] = Math.max(mustReach[vm], guests[vm].position);
        guests[vm] = null;
        held.get(vm).clear();
      }
    }
    at(now + cfg.detectionDelay(), this::recoverFailedHosts);
    at(now + cfg.repairDelay(), () -> repair(h));
  }

  private void repair(Host h) {
    h.rules = new HostRules(group);
    for (RollbackNotice n : rollbackNotices) h.rules.onRollback(n.vm(), n.incarnation(), n.sentToAtLine());
    if (keeper.line() != null) h.rules.onLine(keeper.line().index());
    h.alive = true;
    h.generation++;
    h.index = h.indexAt(now);
    scheduleBoundary(h, h.index + 1);
    emit("host_repaired", "host", h.id);
  }

  /** The manager learns of a failure: every VM without a running guest is recovered. */
  private void recoverFailedHosts() {
    Set<Integer> failed = new TreeSet<>();
    for (int vm = 0; vm < cfg.vms(); vm++) if (guests[vm] == null) failed.add(vm);
    if (!failed.isEmpty()) recover(failed);
  }

  /** Plan the rollback to the line, check the plan against brute force, carry it out, check the result. */
  private void recover(Set<Integer> failed) {
    Survivors survivors = survivors();
    RecoveryPlan plan = planTampering.apply(
        RecoveryPlanner.planHostFailure(group, keeper, failed, survivors, stable.inTransitByReceiver()));
    long line = plan.lineIndex();
    List<Integer> candidates = new ArrayList<>(survivors.vms());
    if (oracle.checkMinimal(failed, plan.rolledBack(), candidates, guests.clone(), line)) report.minimalityChecks++;

    Map<Integer, Map<Long, Long>> originalOrder = new HashMap<>();
    Set<Integer> onSurvivingHost = new HashSet<>();
    for (VmRestore r : plan.restores()) {
      originalOrder.put(r.vm(), oracle.receiveOrderOf(r.vm()));
      if (hosts[hostOf[r.vm()]].alive) onSurvivingHost.add(r.vm());
      mustReach[r.vm()] = Math.max(mustReach[r.vm()], guests[r.vm()] == null ? 0 : guests[r.vm()].position);
    }
    for (VmRestore r : plan.restores()) restore(r, line);
    oracle.checkNoOrphan(guests);
    for (VmRestore r : plan.restores()) {
      Host h = hosts[hostOf[r.vm()]];
      execute(h, h.rules.onBoundary(r.vm(), h.index, guests[r.vm()].position), false);
    }
    for (VmRestore r : plan.restores()) {
      oracle.checkReplayOrder(r.vm(), r.replays(), originalOrder.get(r.vm()), onSurvivingHost.contains(r.vm()));
      Host h = hosts[hostOf[r.vm()]];
      for (Replay replay : r.replays()) receive(replay.message(), h, true);
    }
    for (VmRestore r : plan.restores()) pause(r.vm());
    report.hostRecoveries++;
    report.recoveriesChecked++;
    report.rolledBackTotal += plan.rolledBack().size();
    report.rolledBackMax = Math.max(report.rolledBackMax, plan.rolledBack().size());
    emit("recovery", "line", line, "failed", List.copyOf(failed), "rolled_back", List.copyOf(plan.rolledBack()),
        "replays", plan.replayCount());
  }

  private void restore(VmRestore r, long line) {
    int vm = r.vm();
    Host target = hosts[hostOf[vm]].alive ? hosts[hostOf[vm]] : leastLoadedHost();
    Guest snap = stable.checkpoint(r.checkpoint());
    if (snap == null) {
      violation("line " + line + " names checkpoint " + r.checkpoint() + " which stable storage does not hold");
      return;
    }
    List<LogEntry> segmentEntries = new ArrayList<>();
    for (BoundaryRecord s : r.segments()) {
      List<LogEntry> entries = stable.segment(s);
      if (entries == null) {
        violation("line " + line + " needs log segment " + s + " which stable storage does not hold");
        return;
      }
      segmentEntries.addAll(entries);
    }
    target.rules.restoreToLine(vm, r.incarnation(), r.checkpoint(), segmentEntries, r.lineState());
    hostOf[vm] = target.id;
    Guest g = snap.copy();
    for (LogEntry e : segmentEntries) {
      while (g.position < e.position()) replayStep(g, target.rules);
      g.receive(e.message().from(), e.message().digest());
    }
    while (g.position < r.lineState().position()) replayStep(g, target.rules);
    oracle.checkRestoredState(vm, line, g);
    guests[vm] = g;
    oracle.onRollback(g);
    oracle.resetReceiveOrder(vm);
    keeper.rollback(vm, r.incarnation());
    rollbackNotices.add(new RollbackNotice(vm, r.incarnation(), r.lineState().sentTo()));
    for (Host h : hosts) if (h.alive) h.rules.onRollback(vm, r.incarnation(), r.lineState().sentTo());
    emit("restore", "vm", vm, "host", target.id, "checkpoint", r.checkpoint().index(), "line", line,
        "incarnation", r.incarnation(), "segments", r.segments().size(), "kind", "line");
  }

  private Host leastLoadedHost() {
    Host best = null;
    int bestLoad = Integer.MAX_VALUE;
    for (Host h : hosts) {
      if (!h.alive) continue;
      int load = h.rules.vms().size();
      if (load < bestLoad) {
        best = h;
        bestLoad = load;
      }
    }
    return best;
  }

  private Survivors survivors() {
    SortedSet<Integer> alive = new TreeSet<>();
    for (int vm = 0; vm < cfg.vms(); vm++) if (guests[vm] != null) alive.add(vm);
    return new Survivors() {
      @Override public Set<Integer> vms() { return alive; }
      @Override public long[] receivedFrom(int vm) { return hosts[hostOf[vm]].rules.receivedFrom(vm); }
      @Override public List<LogEntry> receiveLog(int vm) {
        Host h = hosts[hostOf[vm]];
        return h.alive ? h.rules.receiveLog(vm) : List.of();
      }
      @Override public List<SenderCopy> copiesTo(int vm) {
        List<SenderCopy> all = new ArrayList<>();
        for (Host h : hosts) if (h.alive) all.addAll(h.rules.copiesTo(vm));
        return all;
      }
    };
  }

  private void pause(int vm) {
    paused[vm] = true;
    stepToken[vm]++;
    long token = stepToken[vm];
    at(now + cfg.restartPause(), () -> {
      if (stepToken[vm] != token || guests[vm] == null) return;
      paused[vm] = false;
      ArrayDeque<Message> waiting = held.get(vm);
      while (!waiting.isEmpty() && !paused[vm]) {
        Message m = waiting.pollFirst();
        receive(m, hosts[hostOf[vm]], false);
      }
      scheduleStep(vm);
    });
  }

  // ---- the end ----------------------------------------------------------------------------------------------

  private void finish() {
    for (int vm = 0; vm < cfg.vms(); vm++) {
      if (guests[vm] == null) violation("VM " + vm + " is still down at the end of the run");
      if (paused[vm] || !held.get(vm).isEmpty()) violation("VM " + vm + " is still paused at the end of the run");
    }
    oracle.checkNothingLost(guests);
    for (int vm = 0; vm < cfg.vms(); vm++) {
      if (guests[vm].position < mustReach[vm]) {
        violation("VM " + vm + " ended at position " + guests[vm].position + ", before the point " + mustReach[vm]
            + " where it failed or was rolled back");
      }
    }
  }

  // ---- plumbing ---------------------------------------------------------------------------------------------

  private void at(double time, Runnable action) {
    queue.add(new Scheduled(time, scheduledCount++, action));
  }

  private void emit(String type, Object... keyValues) {
    events.emit(SimEvent.of(now, type, keyValues));
  }

  private void violation(String what) {
    throw new OracleViolation(what, cfg.seed(), events.recent());
  }

  private static String id(Message m) {
    return m.from() + "-" + m.to() + "-" + m.seq() + (m.incarnation() > 0 ? "i" + m.incarnation() : "");
  }

  /** Test hook: every recovery plan passes through {@code tampering} before it is carried out. */
  Simulator tamperWithPlans(java.util.function.UnaryOperator<RecoveryPlan> tampering) {
    this.planTampering = tampering;
    return this;
  }

  public SimReport report() {
    return report;
  }
}
