package org.vmqsc.sim;

import org.vmqsc.agent.guest.PwdGuest;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.function.UnaryOperator;
import org.vmqsc.agent.log.LoggedMessage;
import org.vmqsc.agent.log.MessageLog;
import org.vmqsc.agent.node.Guests;
import org.vmqsc.agent.node.HostClock;
import org.vmqsc.agent.node.HostNode;
import org.vmqsc.agent.node.LogWriter;
import org.vmqsc.agent.node.ManagerLink;
import org.vmqsc.agent.node.MigrationRefusedException;
import org.vmqsc.agent.node.VmMigration;
import org.vmqsc.agent.node.NodeReport;
import org.vmqsc.agent.node.PastLineRestore;
import org.vmqsc.agent.node.Relay;
import org.vmqsc.protocol.BoundaryRecord;
import org.vmqsc.protocol.CarriedReceipt;
import org.vmqsc.protocol.GroupConfig;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.Message;
import org.vmqsc.protocol.host.HostAction.DropReason;
import org.vmqsc.protocol.host.SenderCopy;
import org.vmqsc.protocol.recovery.HostSnapshot;
import org.vmqsc.protocol.recovery.RecoveryPlan;
import org.vmqsc.protocol.recovery.Replay;
import org.vmqsc.protocol.recovery.Survivors;
import org.vmqsc.protocol.recovery.VmRestore;
import org.vmqsc.server.recovery.HostChannel;
import org.vmqsc.server.recovery.HostUnreachableException;
import org.vmqsc.server.recovery.MigrationCoordinator;
import org.vmqsc.server.recovery.RecoveryCoordinator;
import org.vmqsc.server.runtime.HostReports;
import org.vmqsc.server.runtime.ReportIntake;
import org.vmqsc.server.service.FailureKind;
import org.vmqsc.server.service.ProtectionService;
import org.vmqsc.server.service.RecoveryPolicy;
import org.vmqsc.server.service.Views.CollectionResult;
import org.vmqsc.server.service.Views.HostFailurePlan;
import org.vmqsc.server.service.Views.LineEntry;
import org.vmqsc.server.service.Views.LineView;
import org.vmqsc.server.service.Views.RecoveryEventView;
import org.vmqsc.server.service.Views.RestoreStep;
import org.vmqsc.server.service.memory.InMemoryProtectionService;

/**
 * A deterministic discrete-event simulation of one protection group on a small cluster. It is <em>the world</em>
 * only — host clocks and drift, network delays, piecewise-deterministic guests, checkpoint and write durations,
 * failures, and the ground truth the oracle checks against — and it drives the code that ships: a
 * {@link HostNode} per host, the {@link ProtectionService} (in memory), the {@link ReportIntake} and the
 * {@link RecoveryCoordinator}, through in-memory adapters of their ports. The same config (seed included) gives
 * the same run, event for event.
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
  private final WorldTruth worldTruth = new WorldTruth();
  /**
   * A recovery happens in one instant, but a host that dies after the manager, and the next manager's orders, come
   * a moment later each: events of one instant on different hosts could not be put back in order from their files.
   */
  private static final double MOMENT = 0.001;
  private double afterCrash;
  /** Another manager takes up a dead one's recovery now. */
  private boolean resuming;
  /** Per VM and incarnation (vm * 65536 + incarnation), the host that restored it: one execution each. */
  private final Map<Long, Integer> restoredOn = new HashMap<>();
  private final LatestStateCheck latestState;
  private final SplittableRandom random;

  private final PriorityQueue<Scheduled> queue = new PriorityQueue<>();
  private long scheduledCount;
  private double now;
  private boolean draining;

  private final Host[] hosts;
  private final PwdGuest[] guests;
  /** A guest being rebuilt by a restore, before it replaces the running one. */
  private final PwdGuest[] rebuilding;
  /** The guest as it was when it failed, while its host rebuilds it (deterministic guests). */
  private final PwdGuest[] failedAs;
  private final int[] hostOf;
  private final boolean[] paused;
  private final List<ArrayDeque<Held>> held = new ArrayList<>();
  private final long[] stepToken;
  private final double[][] cumulativeRates;
  private final double[] totalRate;
  private final double[][] lastArrival;
  private final long[] mustReach;

  // ---- the manager: the shipping classes ----
  private final ProtectionService service;
  private final String groupUuid;
  private final String[] vmUuids;
  private final Map<String, Integer> vmNumbers = new HashMap<>();
  private final Channel channel = new Channel();
  private final ReportIntake intake;
  private RecoveryCoordinator coordinator;
  private final MigrationCoordinator migrations;

  // ---- stable storage (survives hosts) and what the world knows of it ----
  private final WorldLogStore stableLog = new WorldLogStore();
  private final Map<String, PwdGuest> stableCheckpoints = new HashMap<>();
  private final Map<String, Integer> stableStates = new HashMap<>();
  private final Map<String, String> stateOfLocation = new HashMap<>();
  /** Per VM, its guest as it was when it last went down (a host failure, a real guest's failure, a lost migration). */
  private PwdGuest[] lastKnown;
  /** Per stable location, the guest state's hash and the writer's incarnation (for the latest-state search). */
  private final Map<String, String> versionOfLocation = new HashMap<>();
  private final Set<Long> stablyLogged = new HashSet<>();
  /**
   * The late messages written to stable storage as such: a recovery replays from these, the volatile logs and the
   * sender copies. (An MI VM's stable log segments also hold messages, but only to rebuild that VM up to its
   * segment's boundary; they are not a replay source.) By channel and seq: a later incarnation of a sender rebuilt
   * past its stable state sends the very same message again.
   */
  private final Map<Long, List<Message>> inTransitStable = new HashMap<>();
  /** Every rollback announced so far, for hosts that rejoin after a repair. */
  private final List<RollbackNotice> rollbackNotices = new ArrayList<>();

  // ---- the recovery in progress, as the oracle follows it ----
  private final Map<Integer, Map<Long, Long>> originalOrder = new HashMap<>();
  /** Per VM being recovered, what it received since its last restore (its host's log knew their order). */
  private final Map<Integer, Set<Long>> sinceRestore = new HashMap<>();
  private final Set<Integer> onSurvivingHost = new HashSet<>();
  private boolean orphansChecked;
  private HostFailurePlan lastPlan;
  /** The line restore being carried out, for its event. */
  private final Map<Integer, VmRestore> restoring = new HashMap<>();
  /** Fault injection for the oracle's own tests: a way to break the planner's answer. */
  private UnaryOperator<RecoveryPlan> planTampering = UnaryOperator.identity();
  /** Whether hosts resend their unacknowledged copies to a VM a recovery placed (as agents do). */
  private boolean resends = true;
  /** Fault injection: a manager that dies in the middle of a recovery, at a step drawn from this source. */
  private SplittableRandom managerCrashes;
  private int crashAtStep = -1;
  private int recoveryStep;

  // ---- live migrations ----
  /** When host failures were drawn: some migrations are drawn inside their detection and restart windows. */
  private final List<Double> hostFailureTimes = new ArrayList<>();
  /** Per migrated VM, the host it moved to and when: it must write a checkpoint or log segment there. */
  private final Map<Integer, double[]> awaitingBoundary = new HashMap<>();
  /** Fault injection: a host that fails at a step of a migration, drawn from this source. */
  private SplittableRandom migrationFaults;
  private MigrationFault migrationFault = MigrationFault.NONE;
  private int migrationSource = -1;
  private int migrationTarget = -1;

  /** Where in a migration a host fails (fault injection). */
  private enum MigrationFault {
    NONE, SOURCE_BEFORE_EMIGRATE, SOURCE_AFTER_EMIGRATE, TARGET_BEFORE_IMMIGRATE, TARGET_AFTER_IMMIGRATE,
    BOTH_AFTER_EMIGRATE, TARGET_BEFORE_PLACEMENT
  }

  /** The manager process dies: nothing after this point of its recovery runs. */
  static final class ManagerCrashed extends Error {
    ManagerCrashed(int step) {
      super("the manager died at step " + step + " of a recovery", null, false, false);
    }
  }

  /** Counts the steps of a recovery (claim, each host order, finish) and dies at the chosen one. */
  private void step() {
    if (recoveryStep++ == crashAtStep) {
      crashAtStep = -1;
      throw new ManagerCrashed(recoveryStep - 1);
    }
  }

  private record RollbackNotice(int vm, int incarnation, long[] sentToAtLine) {}

  private record Held(Message message, byte[] payload, List<CarriedReceipt> carried) {}

  private record Scheduled(double time, long order, Runnable action) implements Comparable<Scheduled> {
    @Override public int compareTo(Scheduled o) {
      int c = Double.compare(time, o.time);
      return c != 0 ? c : Long.compare(order, o.order);
    }
  }

  /** A simulation whose manager keeps its state in memory. */
  public Simulator(SimConfig cfg, EventSink events) {
    this(cfg, events, inMemoryService());
  }

  private static ProtectionService inMemoryService() {
    long[] ids = {0};
    return new InMemoryProtectionService(Clock.fixed(Instant.EPOCH, ZoneOffset.UTC),
        () -> new UUID(0x5eedL, ++ids[0]).toString(), new UUID(0x6d67L, 0).toString());
  }

  /** A simulation whose manager is {@code service}: the in-memory one, or the catalog on a database. */
  public Simulator(SimConfig cfg, EventSink events, ProtectionService service) {
    this.cfg = cfg;
    this.events = events;
    this.group = new GroupConfig(cfg.basePeriod(), cfg.classes(), cfg.earlyIndexPolicy());
    this.random = new SplittableRandom(cfg.seed());
    int n = cfg.vms();
    this.oracle = new Oracle(n, this::violation);
    this.lastKnown = new PwdGuest[n];
    this.latestState = new LatestStateCheck(n, worldTruth, this::violation, finding -> {
      report.notLatest++;
      if (report.firstNotLatest == null) report.firstNotLatest = finding;
    });
    this.hosts = new Host[cfg.hosts()];
    this.guests = new PwdGuest[n];
    this.rebuilding = new PwdGuest[n];
    this.failedAs = new PwdGuest[n];
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
    this.service = reviewed(service);
    this.groupUuid = this.service.createGroup("simulated group", cfg.basePeriod(), RecoveryPolicy.AUTOMATIC,
        cfg.earlyIndexPolicy()).uuid();
    this.vmUuids = new String[n];
    for (int vm = 0; vm < n; vm++) {
      vmUuids[vm] = new UUID(0x766dL, vm).toString();
      vmNumbers.put(vmUuids[vm], vm);
    }
    for (int h = 0; h < hosts.length; h++) hosts[h] = new Host(h);
    // Reports go straight to the service; the recoveries pass the oracle's review (a proxy, kept off the hot path).
    this.intake = new ReportIntake(service, channel, this::onLineMoved);
    this.coordinator = new RecoveryCoordinator(this.service, channel);
    this.migrations = new MigrationCoordinator(this.service, channel);
  }

  /** Runs to the end, drains, runs the final checks; throws {@link OracleViolation} on the first violation. */
  public SimReport run() {
    start();
    scheduleFailures();
    scheduleMigrations();
    at(cfg.endTime(), () -> draining = true);
    while (!queue.isEmpty()) {
      Scheduled s = queue.poll();
      now = s.time();
      try {
        s.action().run();
      } catch (IllegalStateException | IllegalArgumentException refused) {
        // The runtime refused what happened (a channel that skipped a message, a line with no stable log for
        // a message it leaves in transit, ...): as much a violation as any the oracle finds itself.
        violation("the runtime refused: " + refused.getMessage());
      }
    }
    finish();
    return report;
  }

  // ---- start ------------------------------------------------------------------------------------------------

  private void start() {
    List<String> classes = new ArrayList<>();
    List<Integer> placement = new ArrayList<>();
    for (int vm = 0; vm < cfg.vms(); vm++) {
      classes.add(cfg.classes().get(vm).toString());
      placement.add(vm % hosts.length);
    }
    emit("header", "group", groupUuid, "t0", cfg.basePeriod(), "classes", classes, "hosts", placement,
        "early_index", cfg.earlyIndexPolicy().name(), "seed", cfg.seed(), "process", "simulator", "time_unit", "ms");
    for (int vm = 0; vm < cfg.vms(); vm++) {
      Host h = hosts[vm % hosts.length];
      service.addVm(groupUuid, vmUuids[vm], cfg.classes().get(vm).toString(), h.uuid);
    }
    if (!service.config(groupUuid).equals(group)) violation("the service's group " + service.config(groupUuid)
        + " differs from the simulated one " + group);
    for (int vm = 0; vm < cfg.vms(); vm++) {
      Host h = hosts[vm % hosts.length];
      hostOf[vm] = h.id;
      guests[vm] = new PwdGuest(vm, cfg.vms(), cfg.seed());
      emit("placed", "vm", vm, "host", h.id);
      emit("vm_start", "vm", vm, "host", h.id, "incarnation", 0, "reason", "boot");
      h.node.start(vm);
    }
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
    PwdGuest g = guests[vm];
    Host h = hosts[hostOf[vm]];
    PwdGuest.Send s = g.step(cumulativeRates[vm]);
    Optional<Message> stamped = h.node.send(vm, s.to(), payload(vm, s.to(), s.digest()), s.digest());
    if (stamped.isEmpty()) {
      violation("a live send of VM " + vm + " at position " + g.position + " was taken for a replay");
      return;
    }
    Message m = stamped.get();
    oracle.onSend(m, g);
    report.messagesSent++;
    if (hostOf[m.to()] != h.id) report.volatileLogged++;
    emit("send", "id", id(m), "from", m.from(), "to", m.to(), "seq", m.seq(), "index", m.index(),
        "incarnation", m.incarnation(), "digest", m.digest(), "host", h.id);
  }

  /** A guest being rebuilt redoes a step: the relay must recognise the send as one it made before. */
  private void replayStep(PwdGuest g, Host h) {
    PwdGuest.Send s = g.step(cumulativeRates[g.vm]);
    Optional<Message> stamped = h.node.send(g.vm, s.to(), payload(g.vm, s.to(), s.digest()), s.digest());
    if (stamped.isPresent()) {
      violation("replayed step of VM " + g.vm + " at position " + g.position + " was sent again as " + stamped.get());
    }
    oracle.onReplayedSend(g.vm, s.to(), g.sent[s.to()], s.digest());
    report.replayedSendsSuppressed++;
  }

  /** A message's bytes: its digest and channel, so a delivery can tell that the logs carried it intact. */
  private static byte[] payload(int from, int to, long digest) {
    return ByteBuffer.allocate(16).putLong(digest).putInt(from).putInt(to).array();
  }

  private void checkPayload(Message m, byte[] payload) {
    if (!Arrays.equals(payload, payload(m.from(), m.to(), m.digest()))) {
      violation("the payload of " + m + " was damaged on its way through the relays and logs");
    }
  }

  private void deliver(LogEntry e, byte[] payload, Replay replay) {
    Message m = e.message();
    checkPayload(m, payload);
    PwdGuest g = guests[m.to()];
    oracle.onDeliver(m, g, e.incarnation());
    g.receive(m.from(), m.digest());
    report.messagesDelivered++;
    report.volatileLogged++;
    if (replay != null) {
      report.replayed++;
      emit("replay", "id", id(m), "from", m.from(), "to", m.to(), "seq", m.seq(), "index", m.index(), "rsn", e.rsn(),
          "receiver_index", e.receiverIndex(), "source", replay.source().name().toLowerCase(),
          "original_rsn", replay.originalRsn(), "state", g.hash, "digest", m.digest(), "host", hostOf[m.to()]);
    } else {
      emit("deliver", "id", id(m), "from", m.from(), "to", m.to(), "seq", m.seq(), "index", m.index(), "rsn", e.rsn(),
          "receiver_index", e.receiverIndex(), "digest", m.digest(), "host", hostOf[m.to()]);
      scheduleStep(m.to()); // the state changed, so does what the guest does next
    }
  }

  // ---- the network ------------------------------------------------------------------------------------------

  private void transmit(Message m, byte[] payload) {
    transmit(m, payload, List.of());
  }

  private void transmit(Message m, byte[] payload, List<CarriedReceipt> carried) {
    int from = hostOf[m.from()];
    int to = hostOf[m.to()];
    double base = from == to ? cfg.sameHostDelay() : cfg.crossHostDelay();
    double t = Math.max(now + base * (0.5 + random.nextDouble()), lastArrival[m.from()][m.to()]);
    lastArrival[m.from()][m.to()] = t;
    Host dest = hosts[to];
    int generation = dest.generation;
    at(t, () -> arrive(m, payload, carried, dest, generation));
  }

  private void arrive(Message m, byte[] payload, List<CarriedReceipt> carried, Host dest, int generation) {
    if (dest.alive && dest.generation == generation && hostOf[m.to()] != dest.id && dest.node.hasEmigrated(m.to())) {
      dest.node.onArrival(m, payload, carried); // its old host drops it; the sender resends from its copy
      return;
    }
    if (!dest.alive || dest.generation != generation || hostOf[m.to()] != dest.id) {
      report.lostInNetwork++;
      emit("lost", "id", id(m), "host", dest.id);
      return;
    }
    if (paused[m.to()]) {
      held.get(m.to()).addLast(new Held(m, payload, carried));
      return;
    }
    if (!carried.isEmpty()) report.receiptsCarried += carried.size();
    dest.node.onArrival(m, payload, carried);
  }

  /** One message to each sender host, carrying its share of the batch. */
  private void acknowledge(Host from, List<LogEntry> entries) {
    Map<Host, List<LogEntry>> bySenderHost = new LinkedHashMap<>();
    for (LogEntry e : entries) {
      bySenderHost.computeIfAbsent(hosts[hostOf[e.message().from()]], h -> new ArrayList<>()).add(e);
    }
    bySenderHost.forEach((sender, share) -> {
      int generation = sender.generation;
      report.acknowledgements++;
      emit("ack", "from_host", from.id, "to_host", sender.id, "entries", share.size());
      at(now + cfg.crossHostDelay(), () -> {
        if (sender.alive && sender.generation == generation) sender.node.onAcknowledgements(share);
      });
    });
  }

  // ---- the line ---------------------------------------------------------------------------------------------

  private void onLineMoved(LineView line, CollectionResult collected) {
    long[] checkpoints = new long[cfg.vms()];
    boolean allStable = true;
    for (LineEntry e : line.entries()) {
      int vm = vmNumbers.get(e.vmUuid());
      checkpoints[vm] = e.checkpointIndex();
      allStable &= stableStates.containsKey(state("c", vm, e.checkpointIndex()));
      for (long i = e.checkpointIndex() + 1; i <= line.index(); i++) allStable &= stableStates.containsKey(state("s", vm, i));
    }
    oracle.onLine(line.index(), allStable);
    report.lineIndex = line.index();
    emit("line", "index", line.index(), "checkpoints", checkpoints);
    for (String location : collected.locations()) {
      stableLog.delete(location);
      if (stableCheckpoints.remove(location) != null || location.startsWith("log/")) forgetState(location);
    }
  }

  private static String state(String kind, int vm, long index) {
    return kind + "/" + vm + "/" + index;
  }

  /** {@code version}: the guest state's hash and the incarnation that wrote it. */
  private void stableState(String location, String state, String version) {
    stableStates.merge(state, 1, Integer::sum);
    stateOfLocation.put(location, state);
    stableStates.merge(state + "/" + version, 1, Integer::sum);
    versionOfLocation.put(location, version);
  }

  private void forgetState(String location) {
    String state = stateOfLocation.remove(location);
    String version = versionOfLocation.remove(location);
    if (state != null) stableStates.computeIfPresent(state, (k, c) -> c == 1 ? null : c - 1);
    if (state != null && version != null) {
      stableStates.computeIfPresent(state + "/" + version, (k, c) -> c == 1 ? null : c - 1);
    }
  }

  /** Every VM's guest as it runs, or as it last ran if it is down. */
  private PwdGuest[] knownStates() {
    PwdGuest[] out = new PwdGuest[cfg.vms()];
    for (int vm = 0; vm < out.length; vm++) out[vm] = guests[vm] != null ? guests[vm] : lastKnown[vm];
    return out;
  }

  /** Ground truth for the oracle's search of a later recoverable state. */
  private final class WorldTruth implements LatestStateCheck.Truth {
    /** The copies the live hosts keep, by channel and seq. */
    private final Map<Long, List<Message>> copiesOnLiveHosts = new HashMap<>();
    /** The messages the receipts on the live hosts name, by channel and seq; and those receipts, per VM by rsn. */
    private final Map<Long, List<Message>> namedByReceipts = new HashMap<>();
    private final Map<Integer, Map<Long, List<LogEntry>>> receiptsOnLiveHosts = new HashMap<>();

    @Override public boolean rebuildsPastBoundaries() {
      return cfg.deterministicGuests();
    }

    @Override public List<LatestStateCheck.Extended> extendedStates(int vm, long index, PwdGuest failedAs) {
      PwdGuest boundary = oracle.stateAt(vm, index);
      List<LatestStateCheck.Extended> out = new ArrayList<>();
      if (boundary == null) return out;
      List<LatestStateCheck.Taken> taken = new ArrayList<>();
      for (long k = Arrays.stream(boundary.received).sum(); ; k++) {
        PwdGuest before = oracle.stateBeforeReceipt(vm, k, failedAs);
        if (before == null) return out;
        out.add(new LatestStateCheck.Extended(before, List.copyOf(taken)));
        PwdGuest after = oracle.stateBeforeReceipt(vm, k + 1, failedAs);
        if (after == null) return out;
        int from = 0;
        while (after.received[from] == before.received[from]) from++; // the sender of receipt k + 1
        long seq = after.received[from];
        long digest = oracle.digestOf(from, vm, seq);
        boolean carried = false;
        for (LogEntry e : receiptsOnLiveHosts.getOrDefault(vm, Map.of()).getOrDefault(k + 1, List.of())) {
          Message m = e.message();
          carried |= oracle.madeReceipt(vm, k + 1, e.incarnation()) && m.from() == from && m.seq() == seq
              && m.digest() == digest;
        }
        if (!carried) return out;
        taken.add(new LatestStateCheck.Taken(from, seq));
      }
    }

    @Override public boolean known(int from, int to, long seq) {
      return held(from, to, seq) || (oracle.incarnationOf(from, to, seq) >= 0 && heldAsSent(namedByReceipts, from, to, seq));
    }

    @Override public List<Long> stableBoundaries(int vm, long line) {
      List<Long> out = new ArrayList<>();
      for (long index : oracle.boundariesFrom(vm, line)) if (stableAt(vm, index)) out.add(index);
      return out;
    }

    /** The VM's state at the boundary is rebuildable from stable storage: a checkpoint, or segments back to one. */
    private boolean stableAt(int vm, long index) {
      for (long i = index; i >= 0; i--) {
        PwdGuest truth = oracle.stateAt(vm, i);
        if (truth == null) return false;
        String version = truth.hash + "/" + oracle.incarnationAt(vm, i);
        if (stableStates.containsKey(state("c", vm, i) + "/" + version)) return true;
        if (!stableStates.containsKey(state("s", vm, i) + "/" + version)) return false;
      }
      return false;
    }

    @Override public PwdGuest stateAt(int vm, long index) {
      return oracle.stateAt(vm, index);
    }

    @Override public boolean stablyHeld(int from, int to, long seq) {
      int incarnation = oracle.incarnationOf(from, to, seq);
      return incarnation >= 0 && heldAsSent(inTransitStable, from, to, seq);
    }

    @Override public boolean held(int from, int to, long seq) {
      int incarnation = oracle.incarnationOf(from, to, seq);
      if (incarnation < 0) return false;
      if (heldAsSent(inTransitStable, from, to, seq)) return true;
      boolean receiverHostUp = hostOf[to] >= 0 && hosts[hostOf[to]].alive;
      if (receiverHostUp && oracle.inHostLog(to, from, seq)) return true;     // in its volatile receive log
      return heldAsSent(copiesOnLiveHosts, from, to, seq);
    }

    /**
     * Whether a holder keeps message #seq of the current execution: as the incarnation that sent it, or as an earlier
     * one (a VM rebuilt past its stable state sends the same bytes again) that no rollback discarded since.
     */
    private boolean heldAsSent(Map<Long, List<Message>> bySeq, int from, int to, long seq) {
      long digest = oracle.digestOf(from, to, seq);
      for (Message m : bySeq.getOrDefault(seqKey(from, to, seq), List.of())) {
        if (m.digest() == digest && !discarded(m)) return true;
      }
      return false;
    }

    private boolean discarded(Message m) {
      for (RollbackNotice n : rollbackNotices) {
        if (n.vm() == m.from() && n.incarnation() > m.incarnation() && m.seq() > n.sentToAtLine()[m.to()]) return true;
      }
      return false;
    }

    /**
     * Reads the copies the live hosts physically keep, before a check. A copy is made when sender and receiver
     * part (a cross-host send, or a migration that separates them) and stays when they meet again on one host,
     * so where the VMs run now does not say whether one exists.
     */
    void readCopies() {
      copiesOnLiveHosts.clear();
      namedByReceipts.clear();
      receiptsOnLiveHosts.clear();
      for (Host h : hosts) {
        if (!h.alive) continue;
        HostSnapshot snapshot = h.node.snapshot();
        for (List<SenderCopy> copies : snapshot.copies().values()) {
          for (SenderCopy c : copies) {
            Message m = c.message();
            copiesOnLiveHosts.computeIfAbsent(seqKey(m.from(), m.to(), m.seq()), k -> new ArrayList<>()).add(m);
          }
        }
        snapshot.carried().forEach((vm, receipts) -> {
          for (CarriedReceipt c : receipts) {
            Message m = c.message();
            namedByReceipts.computeIfAbsent(seqKey(m.from(), m.to(), m.seq()), k -> new ArrayList<>()).add(m);
            receiptsOnLiveHosts.computeIfAbsent(vm, v -> new HashMap<>())
                .computeIfAbsent(c.entry().rsn(), r -> new ArrayList<>()).add(c.entry());
          }
        });
      }
    }
  }

  // ---- the clock --------------------------------------------------------------------------------------------

  private void scheduleBoundary(Host h, long n) {
    double t = h.boundaryTime(n);
    if (t > cfg.endTime()) return;
    int generation = h.generation;
    at(t, () -> {
      if (!h.alive || h.generation != generation) return;
      h.index = n;
      h.node.onBoundary(n);
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
      hostFailureTimes.add(t);
      at(t, () -> failHost(host));
    }
  }

  private void failVm(int vm) {
    Host h = hosts[hostOf[vm]];
    if (!h.alive || guests[vm] == null) {
      report.failuresSkipped++;
      return;
    }
    PwdGuest failed = guests[vm];
    emit("vm_failure", "vm", vm, "host", h.id, "position", failed.position, "state", failed.hash);
    emit("vm_stop", "vm", vm, "host", h.id, "reason", "vm_failure");
    // Frames the relay holds for it survive: its host is up.
    if (!cfg.deterministicGuests()) {
      // A real guest does not replay deterministically (hole 7): back to the line, as after a host failure, but
      // its host's logs survive and serve the replays. (Hosts that failed unseen are recovered in the same plan.)
      mustReach[vm] = Math.max(mustReach[vm], failed.position);
      lastKnown[vm] = failed;
      guests[vm] = null;
      recover(FailureKind.VM, vmUuids[vm], Set.of(vmUuids[vm]));
      return;
    }
    failedAs[vm] = failed;
    h.node.onVmFailure(vm);
    failedAs[vm] = null;
    report.vmRecoveries++;
    report.recoveriesChecked++;
    pause(vm);
  }

  private void failHost(int host) {
    Host h = hosts[host];
    long alive = Arrays.stream(hosts).filter(x -> x.alive).count();
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
        emit("vm_stop", "vm", vm, "host", host, "reason", "host_failure");
        mustReach[vm] = Math.max(mustReach[vm], guests[vm].position);
        lastKnown[vm] = guests[vm];
        guests[vm] = null;
        discardHeld(vm, h);
      }
    }
    at(now + cfg.detectionDelay(), () -> recover(FailureKind.HOST, h.uuid, Set.of()));
    at(now + cfg.repairDelay(), () -> repair(h));
  }

  /**
   * Between a manager's death and the next manager, a host it had restored a VM on dies as well: the VM may have
   * run there under its new incarnation, so the next manager must not restore it elsewhere under the same one.
   */
  private boolean failAHostThatRestored() {
    if (lastPlan == null) return false;
    for (VmRestore r : lastPlan.plan().restores()) {
      Host h = hosts[hostOf[r.vm()]];
      if (h.alive && h.node.runs(r.vm()) && h.node.incarnation(r.vm()) == r.incarnation()) {
        emit("host_lost_before_resume", "host", h.id, "vm", r.vm(), "incarnation", r.incarnation());
        report.restoreHostsLostInCrashes++;
        afterCrash = MOMENT;
        failHost(h.id);
        // Its volatile logs went with it: the next plan cannot keep the receive orders they held.
        onSurvivingHost.removeIf(vm -> hostOf[vm] == h.id);
        return true;
      }
    }
    return false;
  }

  /** Messages waiting for a paused guest die with it. */
  private void discardHeld(int vm, Host h) {
    for (Held m : held.get(vm)) {
      report.lostInNetwork++;
      emit("lost", "id", id(m.message()), "host", h.id);
    }
    held.get(vm).clear();
  }

  private void repair(Host h) {
    h.boot();
    for (RollbackNotice n : rollbackNotices) h.node.onRollback(n.vm(), n.incarnation(), n.sentToAtLine());
    service.currentLine(groupUuid).ifPresent(line -> h.node.onLine(line.index()));
    h.alive = true;
    h.index = h.indexAt(now);
    scheduleBoundary(h, h.index + 1);
    emit("host_repaired", "host", h.id);
  }

  /** The coordinator recovers whatever no live host runs, plus {@code alsoFailed}; the oracle checks it. */
  private void recover(FailureKind kind, String failedRef, Set<String> alsoFailed) {
    try {
      recoverAndCheck(kind, failedRef, alsoFailed);
    } finally {
      afterCrash = 0;
    }
  }

  private void recoverAndCheck(FailureKind kind, String failedRef, Set<String> alsoFailed) {
    boolean anyDown = false;
    for (PwdGuest g : guests) anyDown |= g == null;
    if (!anyDown) return;
    originalOrder.clear();
    sinceRestore.clear();
    onSurvivingHost.clear();
    orphansChecked = false;
    lastPlan = null;
    recoveryStep = 0;
    crashAtStep = managerCrashes != null && managerCrashes.nextBoolean() ? managerCrashes.nextInt(12) : -1;
    Optional<RecoveryEventView> done;
    try {
      done = kind == FailureKind.HOST
          ? coordinator.onHostFailed(failedRef).stream().findFirst()
          : coordinator.onVmFailed(groupUuid, failedRef);
    } catch (ManagerCrashed crash) {
      // Another manager (a fresh coordinator on the same service) takes up what the dead one claimed.
      emit("manager_crash", "step", recoveryStep - 1);
      report.managerCrashes++;
      boolean hostLost = managerCrashes.nextBoolean() && failAHostThatRestored();
      coordinator = new RecoveryCoordinator(service, channel);
      resuming = true;
      afterCrash = hostLost ? 2 * MOMENT : 0;
      try {
        done = coordinator.resume().stream().findFirst();
      } finally {
        resuming = false;
      }
    }
    if (lastPlan == null) {
      for (int vm = 0; vm < cfg.vms(); vm++) if (guests[vm] == null) {
        // Its host's failure is not detected yet: the coordinator recovers it when it is.
        if (hosts[hostOf[vm]].alive) violation("VM " + vm + " is down and no recovery brought it back");
      }
      return;
    }
    RecoveryPlan plan = lastPlan.plan();
    if (done.isEmpty()) violation("the coordinator planned a recovery but did not carry it out");
    for (VmRestore r : plan.restores()) {
      if (guests[r.vm()] == null) violation("VM " + r.vm() + " is still down after its recovery");
    }
    report.hostRecoveries++;
    report.recoveriesChecked++;
    report.rolledBackTotal += plan.rolledBack().size();
    report.rolledBackMax = Math.max(report.rolledBackMax, plan.rolledBack().size());
    emit("recovery", "line", plan.lineIndex(), "failed", List.copyOf(plan.failed()),
        "rolled_back", List.copyOf(plan.rolledBack()), "replays", plan.replayCount());
  }

  /**
   * The service the simulation uses: the in-memory one, with every recovery plan passing the oracle's brute-force
   * minimality check (and, in the oracle's own tests, a tampering) on its way to the coordinator.
   */
  private ProtectionService reviewed(ProtectionService inner) {
    return (ProtectionService) Proxy.newProxyInstance(ProtectionService.class.getClassLoader(),
        new Class<?>[] {ProtectionService.class}, (proxy, method, args) -> {
          if (method.getName().equals("finishRecovery")) {
            step();
            // Nothing fails inside a recovery of this world (its host failures fall between events): a recovery
            // that ends failed is the runtime refusing what the plan asked, which a retry must not hide.
            // The one exception: a claimed plan the next manager drops, unsure whether the dead one restored a VM
            // on a host now gone (it recovers afresh; an order that fails while resuming still throws).
            if (!(Boolean) args[1]) {
              if (!resuming) violation("a recovery failed: " + args[3]);
              resuming = false; // once
            }
          }
          Object result;
          try {
            result = method.invoke(inner, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
          if (method.getName().equals("claimRecovery")) step();
          if (method.getName().equals("planRecovery")) {
            HostFailurePlan planned = (HostFailurePlan) result;
            Survivors survivors = (Survivors) args[2];
            result = lastPlan = review(planned, survivors);
          }
          return result;
        });
  }

  private HostFailurePlan review(HostFailurePlan planned, Survivors survivors) {
    RecoveryPlan plan = planTampering.apply(planned.plan());
    Map<Integer, Long> recoveredAt = new HashMap<>();
    Map<Integer, LatestStateCheck.Extended> extent = new HashMap<>();
    for (VmRestore r : plan.restores()) {
      recoveredAt.put(r.vm(), r.lineState().index());
      if (r.isExtended()) {
        PwdGuest furthest = oracle.stateBeforeReceipt(r.vm(), r.lineState().received() + r.extension().size(),
            knownStates()[r.vm()]);
        if (furthest == null) {
          violation("VM " + r.vm() + " is rebuilt past boundary " + r.lineState().index() + " with "
              + r.extension().size() + " receipts its execution never had in that order");
        } else {
          List<LatestStateCheck.Taken> taken = new ArrayList<>();
          for (LogEntry e : r.extension()) taken.add(new LatestStateCheck.Taken(e.message().from(), e.message().seq()));
          extent.put(r.vm(), new LatestStateCheck.Extended(furthest, taken));
        }
      }
    }
    worldTruth.readCopies();
    if (latestState.check(plan.failed(), new ArrayList<>(survivors.vms()), guests.clone(), knownStates(), plan.lineIndex(),
        recoveredAt, extent)) {
      report.latestStateChecks++;
    }
    Set<String> kept = new HashSet<>();
    for (VmRestore r : plan.restores()) kept.add(vmUuids[r.vm()]);
    List<RestoreStep> steps = planned.restores().stream().filter(s -> kept.contains(s.vmUuid())).toList();
    return new HostFailurePlan(planned.groupUuid(), planned.failedRef(), planned.members(), plan,
        plan.rolledBack().stream().map(vm -> vmUuids[vm]).toList(), steps, planned.inTransitLocations());
  }

  private void pause(int vm) {
    paused[vm] = true;
    stepToken[vm]++;
    long token = stepToken[vm];
    at(now + cfg.restartPause(), () -> {
      if (stepToken[vm] != token || guests[vm] == null) return;
      paused[vm] = false;
      ArrayDeque<Held> waiting = held.get(vm);
      while (!waiting.isEmpty() && !paused[vm]) {
        Held m = waiting.pollFirst();
        hosts[hostOf[vm]].node.onArrival(m.message(), m.payload(), m.carried());
      }
      scheduleStep(vm);
    });
  }

  // ---- live migrations --------------------------------------------------------------------------------------

  /** Random VMs to random other hosts at random times; with failures during recovery, some inside those windows. */
  private void scheduleMigrations() {
    double first = cfg.basePeriod();
    double last = Math.max(first + 1, 0.9 * cfg.endTime());
    for (int i = 0; i < cfg.migrations(); i++) {
      int vm = random.nextInt(cfg.vms());
      double t = first + random.nextDouble() * (last - first);
      if (cfg.failuresDuringRecovery() && !hostFailureTimes.isEmpty() && random.nextBoolean()) {
        t = hostFailureTimes.get(random.nextInt(hostFailureTimes.size()))
            + random.nextDouble() * (cfg.detectionDelay() + cfg.restartPause());
      }
      at(t, () -> migrate(vm, 0));
    }
  }

  /**
   * The manager migrates {@code vm} to a random other live host. A source that refuses (the VM's writes are not
   * yet stable) is asked again a little later, for up to two base periods.
   */
  private void migrate(int vm, int attempt) {
    Host source = hosts[hostOf[vm]];
    List<Host> targets = new ArrayList<>();
    for (Host h : hosts) if (h.alive && h != source) targets.add(h);
    if (guests[vm] == null || paused[vm] || !source.alive || targets.isEmpty()) {
      report.migrationsSkipped++; // a hypervisor does not migrate a VM that is down or restarting
      return;
    }
    Host target = targets.get(random.nextInt(targets.size()));
    migrationSource = source.id;
    migrationTarget = target.id;
    migrationFault = migrationFaults == null || migrationFaults.nextBoolean() ? MigrationFault.NONE
        : MigrationFault.values()[1 + migrationFaults.nextInt(MigrationFault.values().length - 1)];
    PwdGuest moving = guests[vm];
    try {
      migrations.migrate(groupUuid, vmUuids[vm], target.uuid);
      report.migrations++;
      awaitingBoundary.put(vm, new double[] {target.id, now});
      emit("migrate", "vm", vm, "from_host", source.id, "to_host", target.id);
    } catch (MigrationRefusedException notYet) {
      if (attempt < 40) {
        at(now + cfg.basePeriod() / 20.0, () -> migrate(vm, attempt + 1));
      } else {
        report.migrationsSkipped++;
        report.migrationsNeverQuiet++;
      }
    } catch (HostUnreachableException cut) {
      report.migrationsFailed++;
      emit("migration_failed", "vm", vm, "from_host", source.id, "to_host", target.id, "reason", cut.getMessage());
    } finally {
      migrationFault = MigrationFault.NONE;
      if (hostOf[vm] == -1) lostInMigration(vm, source, moving);
    }
  }

  /**
   * No host took the VM over (source and target both failed in the middle): it is down, on the host the
   * service names, whose recovery brings it back.
   */
  private void lostInMigration(int vm, Host source, PwdGuest moving) {
    hostOf[vm] = source.id;
    mustReach[vm] = Math.max(mustReach[vm], moving.position);
    lastKnown[vm] = moving;
    guests[vm] = null;
    emit("lost_in_migration", "vm", vm, "host", source.id);
    if (source.alive) violation("VM " + vm + " runs nowhere after a migration although its host " + source.id + " is up");
  }

  /** A host checkpoints or logs only the VMs it runs; a migrated VM's first one on its new host is counted. */
  private void boundaryHere(Host h, int vm) {
    if (hostOf[vm] != h.id) violation("host " + h.id + " wrote a boundary of VM " + vm + ", which runs on " + hostOf[vm]);
    double[] awaiting = awaitingBoundary.get(vm);
    if (awaiting != null && awaiting[0] == h.id) {
      awaitingBoundary.remove(vm);
      report.boundariesAfterMigration++;
    }
  }

  /** Every VM that migrated with two base periods to go checkpointed or logged on its new host. */
  private void checkBoundariesAfterMigrations() {
    awaitingBoundary.forEach((vm, awaiting) -> {
      Host h = hosts[(int) awaiting[0]];
      if (hostOf[vm] == h.id && awaiting[1] < cfg.endTime() - 2.5 * cfg.basePeriod()) {
        violation("VM " + vm + " migrated to host " + h.id + " at " + awaiting[1] + " ms and never checkpointed there");
      }
    });
  }

  // ---- the end ----------------------------------------------------------------------------------------------

  private void finish() {
    emit("end", "drained", true);
    for (int vm = 0; vm < cfg.vms(); vm++) {
      if (guests[vm] == null) violation("VM " + vm + " is still down at the end of the run");
      if (paused[vm] || !held.get(vm).isEmpty()) violation("VM " + vm + " is still paused at the end of the run");
    }
    oracle.checkNothingLost(guests);
    checkBoundariesAfterMigrations();
    for (int vm = 0; vm < cfg.vms(); vm++) {
      if (guests[vm].position < mustReach[vm]) {
        violation("VM " + vm + " ended at position " + guests[vm].position + ", before the point " + mustReach[vm]
            + " where it failed or was rolled back");
      }
    }
  }

  // ---- one host: the world around its HostNode --------------------------------------------------------------

  /**
   * A host of the world: its clock, its staged checkpoints, and the in-memory adapters of its node's ports.
   * Replaced by a fresh node when it is repaired; callbacks of an earlier generation find it changed and stop.
   */
  private final class Host implements Relay, Guests, LogWriter, HostClock, ManagerLink {
    final int id;
    final String uuid;
    final double offset;
    final double rate;
    HostNode node;
    boolean alive = true;
    int generation;
    long index;
    final Map<BoundaryRecord, PwdGuest> staged = new HashMap<>();

    Host(int id) {
      this.id = id;
      this.uuid = new UUID(0x686f7374L, id).toString();
      this.offset = (random.nextDouble() * 2 - 1) * cfg.maxDrift() * cfg.basePeriod();
      this.rate = 1 + (random.nextDouble() * 2 - 1) * cfg.maxDrift() / 100;
      boot();
    }

    void boot() {
      generation++;
      staged.clear();
      node = new HostNode(uuid, groupUuid, group, new MessageLog(stableLog),
          this, this, this, this, this);
    }

    double boundaryTime(long n) {
      return Math.max(0, (n * cfg.basePeriod() - offset) / rate);
    }

    long indexAt(double t) {
      return (long) Math.floor((t * rate + offset) / cfg.basePeriod());
    }

    // Relay

    @Override public void transmit(Message message, byte[] payload) {
      Simulator.this.transmit(message, payload);
    }

    @Override public void transmit(Message message, byte[] payload, List<CarriedReceipt> carried) {
      Simulator.this.transmit(message, payload, carried);
    }

    @Override public void acknowledge(List<LogEntry> batch) {
      Simulator.this.acknowledge(this, batch);
    }

    @Override public void dropped(Message m, DropReason reason) {
      if (reason == DropReason.DUPLICATE) report.duplicatesDropped++;
      else if (reason == DropReason.MOVED || reason == DropReason.REORDERED) report.movedDropped++;
      else report.staleDropped++;
      emit("drop", "id", id(m), "reason", reason.name().toLowerCase(), "host", id);
    }

    // Guests

    @Override public boolean running(int vm) {
      return guests[vm] != null && hostOf[vm] == id;
    }

    @Override public boolean deterministic() {
      return cfg.deterministicGuests();
    }

    /** A VM rebuilt past its stable state makes its next send again: a real send of its new execution. */
    @Override public void stepAgain(int vm) {
      PwdGuest g = guests[vm];
      node.prepareSend(vm, g.copy().step(cumulativeRates[vm]).to());
      PwdGuest.Send s = g.step(cumulativeRates[vm]);
      Optional<Message> stamped = node.send(vm, s.to(), payload(vm, s.to(), s.digest()), s.digest());
      if (stamped.isEmpty()) {
        violation("VM " + vm + " re-executed past its stable state, at position " + g.position
            + ", made a send the relay took for a replay");
        return;
      }
      Message m = stamped.get();
      oracle.onSend(m, g);
      report.sentAgain++;
      emit("send", "id", id(m), "from", m.from(), "to", m.to(), "seq", m.seq(), "index", m.index(),
          "incarnation", m.incarnation(), "digest", m.digest(), "host", id);
    }

    @Override public long position(int vm) {
      PwdGuest g = rebuilding[vm] != null ? rebuilding[vm] : guests[vm];
      return g.position;
    }

    @Override public void deliver(LogEntry entry, byte[] payload, Replay replay) {
      Simulator.this.deliver(entry, payload, replay);
    }

    @Override public void checkpoint(BoundaryRecord r) {
      boundaryHere(this, r.vm());
      PwdGuest snap = guests[r.vm()].copy();
      oracle.onBoundary(r.vm(), r.index(), snap, r.incarnation());
      if (r.forced()) report.checkpointsForced++; else report.checkpointsBasic++;
      emit("checkpoint", "vm", r.vm(), "index", r.index(), "forced", r.forced(), "incarnation", r.incarnation(),
          "sent", r.sentTo(), "received", r.receivedFrom(), "state", snap.hash, "position", snap.position, "host", id);
      String location = stableLocation(r);
      if (r.index() == 0 && r.incarnation() == 0) {
        // The boot state: on stable storage before the group starts.
        madeStaged(r, snap);
        madeStable(r, location, snap);
        return;
      }
      int generation = this.generation;
      at(now + cfg.checkpointDuration(), () -> {
        if (this.generation != generation) return;
        madeStaged(r, snap);
        at(now + cfg.flushDelay(), () -> {
          if (this.generation == generation) madeStable(r, location, snap);
        });
      });
    }

    private void madeStaged(BoundaryRecord r, PwdGuest snap) {
      staged.put(r, snap);
      node.onCheckpointStaged(r, "host:" + uuid, 64, digest(snap));
    }

    private void madeStable(BoundaryRecord r, String location, PwdGuest snap) {
      stableCheckpoints.put(location, snap);
      stableState(location, state("c", r.vm(), r.index()), snap.hash + "/" + r.incarnation());
      emit("stable", "vm", r.vm(), "index", r.index(), "kind", "checkpoint", "incarnation", r.incarnation(),
          "host", id);
      node.onCheckpointStable(r, location, 64, digest(snap));
    }

    @Override public void rebuild(int vm, BoundaryRecord checkpoint, String location, List<LoggedMessage> replay,
                                  long until) {
      PwdGuest snap = location == null ? staged.get(checkpoint) : stableCheckpoints.get(location);
      if (snap == null && location == null) {
        snap = stableCheckpoints.get(stableLocation(checkpoint));
      }
      if (snap == null) {
        violation("VM " + vm + "'s checkpoint " + checkpoint + " is neither staged nor stable (" + location + ")");
        return;
      }
      PwdGuest g = snap.copy();
      rebuilding[vm] = g;
      boolean vmFailure = failedAs[vm] != null;
      for (LoggedMessage e : replay) {
        Message m = e.entry().message();
        checkPayload(m, e.payload());
        while (g.position < e.entry().position()) replayStep(g, this);
        if (vmFailure) oracle.onReplayedDelivery(m, g);
        g.receive(m.from(), m.digest());
      }
      while (g.position < until) replayStep(g, this);
      rebuilding[vm] = null;
      if (vmFailure) {
        oracle.checkReplayedState(vm, g, failedAs[vm].position, failedAs[vm].hash);
        guests[vm] = g;
        emit("restore", "vm", vm, "host", id, "checkpoint", checkpoint.index(), "replayed", replay.size(),
            "kind", "vm", "state", g.hash, "position", g.position, "incarnation", node.incarnation(vm),
            "sent", g.sent, "received", g.received);
        emit("vm_start", "vm", vm, "host", id, "incarnation", node.incarnation(vm), "reason", "rebuild");
      } else {
        // Each VM recovers to its own boundary, at or after the line.
        VmRestore r = restoring.get(vm);
        long recoveredAt = r.lineState().index();
        oracle.checkRestoredState(vm, recoveredAt, g);
        guests[vm] = g;
        // Here, before the restored VM catches up with its host's boundaries, so the file shows them after it.
        emit("restore", "vm", vm, "host", id, "checkpoint", checkpoint.index(), "line", recoveredAt,
            "incarnation", r.incarnation(), "segments", r.segments().size(), "kind", "line",
            "receipts_again", r.extension().size(), "sends_again", r.resends().size(), "state", g.hash,
            "position", g.position, "sent", g.sent, "received", g.received);
        emit("vm_start", "vm", vm, "host", id, "incarnation", r.incarnation(), "reason", "restore");
        oracle.onRollback(g, recoveredAt);
        oracle.resetReceiveOrder(g, snap);
      }
    }

    @Override public void stop(int vm) {
      // The world moves the guest; nothing runs here any more.
    }

    @Override public void handOff(int vm, String target) {
      hostOf[vm] = -1; // in the hypervisor's migration stream: running nowhere until a host takes it over
    }

    @Override public void takeOver(int vm, VmMigration migration) {
      hostOf[vm] = id;
    }

    // LogWriter

    @Override public void write(LogWrite w) {
      int generation = this.generation;
      if (w instanceof LogWrite.Segment s) {
        BoundaryRecord r = s.record();
        boundaryHere(this, r.vm());
        PwdGuest g = guests[r.vm()];
        long stateHash = g.hash;
        oracle.onBoundary(r.vm(), r.index(), g.copy(), r.incarnation());
        report.logSegments++;
        emit("log_segment", "vm", r.vm(), "index", r.index(), "incarnation", r.incarnation(),
            "entries", s.entries().size(), "sent", r.sentTo(), "received", r.receivedFrom(), "state", g.hash,
            "position", g.position, "host", id);
        at(now + cfg.flushDelay(), () -> {
          if (this.generation != generation) return;
          String location = stableLog.writeSegment(groupUuid, r, s.entries());
          for (LoggedMessage e : s.entries()) stablyLogged(e.entry().message());
          stableState(location, state("s", r.vm(), r.index()), stateHash + "/" + r.incarnation());
          emit("stable", "vm", r.vm(), "index", r.index(), "kind", "log_segment", "incarnation", r.incarnation(),
              "host", id);
          node.onLogStable(w, location);
        });
      } else if (w instanceof LogWrite.InTransit t) {
        Message m = t.message().entry().message();
        report.lateMessages++;
        emit("in_transit", "id", id(m), "to_host", id, "receiver_index", t.message().entry().receiverIndex());
        at(now + cfg.flushDelay(), () -> {
          if (this.generation != generation) return;
          String location = stableLog.writeInTransit(groupUuid, t.message());
          stablyLogged(m);
          inTransitStable.computeIfAbsent(seqKey(m.from(), m.to(), m.seq()), k -> new ArrayList<>()).add(m);
          emit("in_transit_stable", "id", id(m), "host", id);
          node.onLogStable(w, location);
        });
      }
    }

    // HostClock

    @Override public long index() {
      return index;
    }

    // ManagerLink

    @Override public void report(String groupId, List<NodeReport> batch) {
      intake.accept(HostReports.of(uuid, groupUuid, vm -> vmUuids[vm], batch));
    }
  }

  /** Where the world's stable storage keeps a checkpoint. */
  private static String stableLocation(BoundaryRecord checkpoint) {
    return "ckpt/" + checkpoint.vm() + "/" + checkpoint.index() + "/" + checkpoint.incarnation();
  }

  private static String digest(PwdGuest g) {
    return Long.toHexString(g.hash);
  }

  private static long seqKey(int from, int to, long seq) {
    return PwdGuest.mix(from * 4096L + to, seq);
  }

  private static long messageKey(int from, int to, long seq, int incarnation) {
    return PwdGuest.mix(seqKey(from, to, seq), incarnation);
  }

  private void stablyLogged(Message m) {
    if (stablyLogged.add(messageKey(m.from(), m.to(), m.seq(), m.incarnation()))) report.stableLogged++;
  }

  // ---- the manager's channel to the hosts, in memory ---------------------------------------------------------

  /** The coordinator's orders, carried to the hosts' nodes, with the oracle watching each step. */
  private final class Channel implements HostChannel {

    private Host live(String uuid) {
      for (Host h : hosts) if (h.uuid.equals(uuid)) {
        if (!h.alive) throw new HostUnreachableException(uuid, "it is down");
        return h;
      }
      throw new HostUnreachableException(uuid, "no such host");
    }

    @Override public List<String> liveHosts() {
      List<String> out = new ArrayList<>();
      for (Host h : hosts) if (h.alive) out.add(h.uuid);
      return out;
    }

    @Override public HostSnapshot snapshot(String host, String group) {
      return live(host).node.snapshot();
    }

    @Override public Map<Message, byte[]> payloads(String host, String group, List<Message> messages) {
      return live(host).node.payloads(messages);
    }

    @Override public void restore(String host, String group, VmRestore r, String checkpointLocation,
                                  List<String> segmentLocations) {
      step();
      Host target = live(host);
      if (prepareRestore(target, r)) target.node.restoreToLine(r, checkpointLocation, segmentLocations);
    }

    @Override public void restorePastLine(String host, String group, List<PastLineRestore> restores,
                                          Map<Message, byte[]> payloads, Map<Message, String> stableLocations) {
      step();
      Host target = live(host);
      List<PastLineRestore> toDo = new ArrayList<>();
      for (PastLineRestore p : restores) if (prepareRestore(target, p.restore())) toDo.add(p);
      report.restoredPastStableState += toDo.size();
      Map<Integer, VmRestore> together = new HashMap<>();
      for (PastLineRestore p : toDo) together.put(p.restore().vm(), p.restore());
      for (VmRestore r : together.values()) {
        for (LogEntry e : r.extension()) {
          VmRestore sender = together.get(e.message().from());
          if (sender != null && e.message().seq() > sender.lineState().sentTo(r.vm())) report.takenFromSendsMadeAgain++;
        }
      }
      target.node.restorePastLine(toDo, payloads, stableLocations);
    }

    /** The world's side of restoring {@code r} on {@code target}; false if it was ordered before. */
    private boolean prepareRestore(Host target, VmRestore r) {
      int vm = r.vm();
      if (target.node.runs(vm) && target.node.incarnation(vm) >= r.incarnation()) return false; // ordered before
      Integer first = restoredOn.putIfAbsent(vm * 65536L + r.incarnation(), target.id);
      if (first != null && first != target.id) {
        violation("VM " + vm + " restored under incarnation " + r.incarnation() + " on host " + target.id
            + " after host " + first + " had restored it under that incarnation: two executions of one incarnation");
      }
      originalOrder.put(vm, oracle.receiveOrderOf(vm));
      sinceRestore.put(vm, oracle.receivedSinceRestoreOf(vm));
      Host current = hosts[hostOf[vm]];
      if (current.alive) onSurvivingHost.add(vm);
      mustReach[vm] = Math.max(mustReach[vm], guests[vm] == null ? 0 : guests[vm].position);
      if (current.alive && guests[vm] != null) {
        emit("vm_stop", "vm", vm, "host", current.id, "reason", current != target ? "moved" : "rollback");
      }
      awaitingBoundary.remove(vm);
      if (current != target) {
        if (current.alive && current.node.runs(vm)) current.node.evict(vm);
        emit("moved", "vm", vm, "from_host", current.id, "to_host", target.id);
      }
      hostOf[vm] = target.id;
      guests[vm] = null;
      restoring.put(vm, r);
      rollbackNotices.add(new RollbackNotice(vm, r.incarnation(), r.sentToAfterRecovery()));
      return true;
    }

    @Override public void freeze(String host, String group) {
      // A recovery of the world happens in one instant: nothing runs between its orders.
    }

    @Override public void thaw(String host, String group) {
    }

    @Override public void evict(String host, String group, int vm) {
      Host h = live(host);
      if (h.node.runs(vm)) h.node.evict(vm);
    }

    @Override public void rollback(String host, String group, int vm, int incarnation, long[] sentToAtLine) {
      step();
      live(host).node.onRollback(vm, incarnation, sentToAtLine);
    }

    @Override public void replay(String host, String group, int vm, List<Replay> replays,
                                 Map<Message, byte[]> payloads, Map<Message, String> stableLocations) {
      step();
      if (!orphansChecked) {
        oracle.checkNoOrphan(guests);
        orphansChecked = true;
      }
      oracle.checkReplayOrder(vm, replays, originalOrder.get(vm), sinceRestore.get(vm), onSurvivingHost.contains(vm));
      live(host).node.replay(vm, replays, payloads, stableLocations);
      pause(vm);
    }

    @Override public void drop(String host, String group) {
      throw new UnsupportedOperationException("the simulated world never deletes a group");
    }

    @Override public void reconcile(String host, java.util.Collection<String> stored, java.time.Duration grace) {
      // The simulated stores are collected by the line listener: nothing is left over to reconcile.
    }

    @Override public void line(String host, String group, long index, List<String> collectable) {
      live(host).node.onLine(index);
    }

    @Override public void fence(String host) {
      // A failed host of the world is already down: its VMs cannot run on.
    }

    @Override public VmMigration emigrate(String host, String group, int vm, String target) {
      if (migrationFault == MigrationFault.SOURCE_BEFORE_EMIGRATE) failHost(migrationSource);
      VmMigration m = live(host).node.emigrate(vm, target);
      if (migrationFault == MigrationFault.SOURCE_AFTER_EMIGRATE || migrationFault == MigrationFault.BOTH_AFTER_EMIGRATE) {
        failHost(migrationSource);
      }
      return m;
    }

    @Override public void immigrate(String host, String group, VmMigration migration) {
      boolean toTarget = host.equals(hosts[migrationTarget].uuid);
      if (toTarget && (migrationFault == MigrationFault.TARGET_BEFORE_IMMIGRATE
          || migrationFault == MigrationFault.BOTH_AFTER_EMIGRATE)) {
        failHost(migrationTarget);
      }
      live(host).node.immigrate(migration);
      if (toTarget && migrationFault == MigrationFault.TARGET_AFTER_IMMIGRATE) failHost(migrationTarget);
    }

    @Override public void placement(String host, String group, int vm, String newHost) {
      if (migrationFault == MigrationFault.TARGET_BEFORE_PLACEMENT) {
        migrationFault = MigrationFault.NONE;
        failHost(migrationTarget);
      }
      // After a recovery the world routes by where the VM runs when a frame arrives, so nothing was lost;
      // resending anyway puts the nodes' duplicate handling under the oracle (unless a test judges plans alone).
      if (resends) live(host).node.onPlacement(vm);
    }
  }

  // ---- plumbing ---------------------------------------------------------------------------------------------

  private void at(double time, Runnable action) {
    queue.add(new Scheduled(time, scheduledCount++, action));
  }

  private void emit(String type, Object... keyValues) {
    events.emit(SimEvent.of(now + afterCrash, type, keyValues));
  }

  private void violation(String what) {
    throw new OracleViolation(what, cfg.seed(), events.recent());
  }

  private static String id(Message m) {
    return m.from() + "-" + m.to() + "-" + m.seq() + (m.incarnation() > 0 ? "i" + m.incarnation() : "");
  }

  /** Test hook: in about half the recoveries the manager dies at a random step and another one resumes. */
  Simulator crashManagers(long seed) {
    this.managerCrashes = new SplittableRandom(seed);
    return this;
  }

  /** Test hook: hosts do not resend their unacknowledged copies to a restored VM, so a plan is judged alone. */
  Simulator withoutResends() {
    this.resends = false;
    return this;
  }

  /** Test hook: in about half the migrations a host fails at a random step of it (source, target or both). */
  Simulator failDuringMigrations(long seed) {
    this.migrationFaults = new SplittableRandom(seed);
    return this;
  }

  /** Test hook: every recovery plan passes through {@code tampering} before it is carried out. */
  Simulator tamperWithPlans(UnaryOperator<RecoveryPlan> tampering) {
    this.planTampering = tampering;
    return this;
  }

  public SimReport report() {
    return report;
  }
}
