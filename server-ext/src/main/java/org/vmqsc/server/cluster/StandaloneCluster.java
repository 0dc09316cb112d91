package org.vmqsc.server.cluster;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.server.Handler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmqsc.agent.node.NodeReport;
import org.vmqsc.agent.process.EventLog;
import org.vmqsc.agent.wire.WireMessages.Deploy;
import org.vmqsc.agent.wire.WireMessages.GuestProfile;
import org.vmqsc.agent.wire.WireMessages.Heartbeat;
import org.vmqsc.agent.wire.WireMessages.HeartbeatAnswer;
import org.vmqsc.agent.wire.WireMessages.Member;
import org.vmqsc.agent.wire.WireMessages.Refusal;
import org.vmqsc.agent.wire.WireMessages.Register;
import org.vmqsc.agent.wire.WireMessages.Registered;
import org.vmqsc.agent.wire.WireMessages.Report;
import org.vmqsc.agent.wire.WireMessages.Reports;
import org.vmqsc.server.api.Cluster;
import org.vmqsc.server.api.FailureDetectorHosts;
import org.vmqsc.server.api.HostDirectory;
import org.vmqsc.server.failure.FailureDetector;
import org.vmqsc.agent.node.MigrationRefusedException;
import org.vmqsc.server.recovery.MigrationCoordinator;
import org.vmqsc.server.recovery.RecoveryCoordinator;
import org.vmqsc.server.runtime.HostReports;
import org.vmqsc.server.runtime.ReportIntake;
import org.vmqsc.server.runtime.StorageReconciler;
import org.vmqsc.server.service.FailureKind;
import org.vmqsc.server.service.PageRequest;
import org.vmqsc.server.service.ProtectionService;
import org.vmqsc.server.service.RecoveryPolicy;
import org.vmqsc.server.service.ServiceException;
import org.vmqsc.server.service.Views.GroupView;
import org.vmqsc.server.service.Views.MemberView;
import org.vmqsc.server.service.Views.RecoveryEventView;

/**
 * The standalone manager's hosts: agent processes that register over HTTP, keep leases with the
 * {@link FailureDetector}, report to the {@link ReportIntake} and take the {@link RecoveryCoordinator}'s orders
 * through {@link HttpHostChannel}. A monitor thread turns every expired lease into a recovery of the groups on
 * that host; recoveries (automatic, and those admins ask for) run one at a time on their own thread.
 */
public final class StandaloneCluster implements Cluster, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(StandaloneCluster.class);

  /**
   * @param lease     how long a host may go without a heartbeat before it is declared failed
   * @param heartbeat how often agents heartbeat
   * @param guests    the simulated guests' workload, sent to every agent with the group
   * @param keptBehindLine checkpoints per VM kept behind the recovery line before they are deleted
   * @param storageGrace how old a stored thing must be before a host deletes it as left over (see
   *     {@link StorageReconciler}); the hosts are told what the catalog counts on once per grace
   */
  public record Settings(Duration lease, Duration heartbeat, GuestProfile guests, int keptBehindLine,
                         Duration storageGrace) {
    public Settings(Duration lease, Duration heartbeat, GuestProfile guests) {
      this(lease, heartbeat, guests, 0);
    }

    public Settings(Duration lease, Duration heartbeat, GuestProfile guests, int keptBehindLine) {
      this(lease, heartbeat, guests, keptBehindLine, defaultGrace(lease));
    }

    /** Twenty leases, at least two minutes: far longer than a report can wait (a host stops after one lease). */
    public static Duration defaultGrace(Duration lease) {
      Duration twenty = lease.multipliedBy(20);
      return twenty.compareTo(Duration.ofMinutes(2)) > 0 ? twenty : Duration.ofMinutes(2);
    }

    public Settings {
      if (keptBehindLine < 0 || keptBehindLine > 1000) {
        throw new IllegalArgumentException("checkpoints kept behind the line must be 0..1000, got " + keptBehindLine);
      }
      if (lease.toMillis() < 200) throw new IllegalArgumentException("the lease must be >= 200 ms, got " + lease);
      if (storageGrace.compareTo(lease.multipliedBy(2)) < 0) {
        throw new IllegalArgumentException("the storage grace must be at least two leases (" + lease.multipliedBy(2)
            + "), got " + storageGrace);
      }
      if (heartbeat.toMillis() < 20 || heartbeat.compareTo(lease) >= 0) {
        throw new IllegalArgumentException("the heartbeat must be >= 20 ms and shorter than the lease " + lease
            + ", got " + heartbeat);
      }
    }

    public static Settings defaults() {
      return new Settings(Duration.ofSeconds(3), Duration.ofSeconds(1), new GuestProfile(4, 16, 200, 7));
    }
  }

  private final ProtectionService service;
  private final Settings settings;
  private final Clock clock = Clock.systemUTC();
  private final FailureDetector detector;
  private final AgentRegistry agents = new AgentRegistry();
  private final HttpHostChannel channel;
  private final RecoveryCoordinator coordinator;
  private final MigrationCoordinator migrations;
  private final ReportIntake intake;
  private final StorageReconciler reconciler;
  private final EventLog events;
  private final AgentEndpoints endpoints;
  private final ExecutorService recoveries = Executors.newSingleThreadExecutor(r -> daemon(r, "vmqsc-recovery"));
  /** The coordinator's orders go to the hosts at once (each host's in order). */
  private final ExecutorService orders = Executors.newCachedThreadPool(r -> daemon(r, "vmqsc-orders"));
  private final ScheduledExecutorService monitor = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "vmqsc-monitor"));

  public StandaloneCluster(ProtectionService service, Settings settings, String agentToken, EventLog events) {
    this.service = service;
    this.settings = settings;
    this.events = events;
    this.detector = new FailureDetector(clock, settings.lease());
    this.channel = new HttpHostChannel(agents, detector, agentToken, group -> deployment(group, List.of()));
    this.coordinator = new RecoveryCoordinator(service, channel, orders);
    this.migrations = new MigrationCoordinator(service, channel);
    this.intake = new ReportIntake(service, channel, (line, collected) ->
        events.emit("line", "group", line.groupUuid(), "index", line.index(), "collectable", collected.locations().size()),
        settings::keptBehindLine);
    this.reconciler = new StorageReconciler(service, channel, settings.storageGrace());
    this.endpoints = new AgentEndpoints(agentToken, new Endpoints());
  }

  /**
   * Takes up what a previous manager left: a full lease for every host that runs protected VMs (grace rule 2: this
   * manager never heard from them), and, once a lease has passed (every live agent has registered again by then),
   * the recoveries it claimed and did not finish. Then watches leases.
   */
  public StandaloneCluster start() {
    for (GroupView g : allGroups()) {
      for (MemberView m : service.members(g.uuid())) if (m.hostUuid() != null) detector.expect(m.hostUuid());
    }
    monitor.schedule(() -> recoveries.execute(this::resumeLeftoversFirst), settings.lease().toMillis(),
        TimeUnit.MILLISECONDS);
    monitor.scheduleWithFixedDelay(this::watch, 100, 100, TimeUnit.MILLISECONDS);
    long sweep = 2 * settings.lease().toMillis();
    monitor.scheduleWithFixedDelay(() -> recoveries.execute(this::sweep), sweep, sweep, TimeUnit.MILLISECONDS);
    // The first a grace after start: every report held back while no manager ran has reached this one by then.
    long grace = settings.storageGrace().toMillis();
    monitor.scheduleWithFixedDelay(this::reconcileStorage, grace, grace, TimeUnit.MILLISECONDS);
    return this;
  }

  private void reconcileStorage() {
    try {
      List<String> told = reconciler.run();
      events.emit("reconcile", "hosts", told.size());
    } catch (RuntimeException e) {
      log.warn("could not tell the hosts what storage the catalog counts on: {}", e.getMessage());
    }
  }

  /**
   * Every two leases: an enabled automatic group that still has a VM on a host declared failed is recovered again.
   * A recovery that failed (a host that died during it, a database that went away) or never started (its plan was
   * refused) is retried this way until the group runs whole.
   */
  private void sweep() {
    resumeLeftoversFirst();
    try {
      for (GroupView g : allGroups()) {
        if (g.startedMs() == null || g.recoveryPolicy() == RecoveryPolicy.MANUAL) continue;
        for (MemberView m : service.members(g.uuid())) {
          if (m.hostUuid() != null && detector.isFailed(m.hostUuid())) {
            log.info("group {} still has VM {} on failed host {}: recovering it again", g.uuid(), m.vmUuid(), m.hostUuid());
            Instant now = clock.instant();
            record(coordinator.recover(g.uuid(), FailureKind.HOST, m.hostUuid(), Set.of()), now, now);
            break;
          }
        }
      }
    } catch (RuntimeException e) {
      log.warn("a retried recovery failed: {}", e.getMessage());
      events.emit("recovery_failed", "error", String.valueOf(e.getMessage()), "retry", true);
    }
  }

  /** Whether the recoveries a previous manager left RUNNING were taken up (recovery thread only). */
  private boolean leftoversResumed;

  /**
   * A recovery a previous manager left RUNNING goes first: a new recovery of its group planned meanwhile would
   * take the VMs it restored (and had not replayed into yet) for healthy survivors, and the old one, resumed after
   * the new, would repeat orders the new one overtook.
   */
  private void resumeLeftoversFirst() {
    if (!leftoversResumed) resumeLeftovers();
  }

  /**
   * Recoveries a previous manager claimed and left RUNNING: their orders again. One that fails (no host answers)
   * is recorded failed by the coordinator and said here; the others go on.
   */
  private void resumeLeftovers() {
    leftoversResumed = true;
    int left = service.runningRecoveries().size();
    // resume() stops at the first recovery that fails, after recording it failed: go on with the others.
    for (int attempt = 0; attempt <= left; attempt++) {
      try {
        for (RecoveryEventView done : coordinator.resume()) {
          log.info("resumed recovery {} of group {}: {}", done.uuid(), done.groupUuid(), done.state());
          events.emit("recovery_resumed", "group", done.groupUuid(), "id", done.uuid(), "state", done.state().name());
        }
        return;
      } catch (RuntimeException e) {
        log.warn("a recovery left running by a previous manager could not be resumed: {}", e.getMessage());
      }
    }
  }

  public RecoveryCoordinator coordinator() {
    return coordinator;
  }

  /** The agents' endpoints, to serve next to the admin API. */
  public Handler agentEndpoints() {
    return endpoints;
  }

  /** listHosts: the leases, with the agents' names. */
  public HostDirectory hosts() {
    return new FailureDetectorHosts(detector, clock, agents::nameOf);
  }

  // ---- the admin's async commands ----------------------------------------------------------------------------

  @Override public void delete(String groupUuid) {
    onRecoveryThread(() -> {
      service.deleteGroup(groupUuid);
      // A host away drops the group when its reports are refused.
      int told = channel.toLiveHosts(h -> channel.drop(h, groupUuid)).size();
      events.emit("deleted", "group", groupUuid, "hosts", told);
      return null;
    });
  }

  @Override public GroupView enable(String groupUuid) {
    return onRecoveryThread(() -> {
      GroupView group = service.group(groupUuid);
      if (group.startedMs() != null) return group;
      List<String> live = new ArrayList<>(channel.liveHosts());
      if (live.isEmpty()) {
        throw new ServiceException(ServiceException.Reason.WRONG_STATE, "no agent is registered with this manager:"
            + " start one (./vmqsc agent --name h1 --manager URL) before enabling a group");
      }
      List<MemberView> members = service.members(groupUuid);
      refuseMiOnRealGuests(groupUuid, live, members);
      Map<String, Integer> load = new TreeMap<>();
      for (String h : live) load.put(h, 0);
      for (MemberView m : members) {
        if (m.hostUuid() != null && load.containsKey(m.hostUuid())) load.merge(m.hostUuid(), 1, Integer::sum);
      }
      for (MemberView m : members) {
        if (m.hostUuid() != null && load.containsKey(m.hostUuid())) continue;
        String least = load.entrySet().stream().min(Map.Entry.comparingByValue()).orElseThrow().getKey();
        service.moveVm(m.vmUuid(), least); // no host, or one that is not here: the least loaded agent runs it
        load.merge(least, 1, Integer::sum);
      }
      GroupView started = service.startGroup(groupUuid, clock.millis());
      List<Integer> all = service.members(groupUuid).stream().map(MemberView::number).toList();
      // Every host takes the group's frames before any VM sends one; then every host boots its VMs.
      for (String h : live) channel.deploy(h, deployment(groupUuid, List.of()));
      Deploy deploy = deployment(groupUuid, all);
      for (String h : live) channel.deploy(h, deploy);
      events.emit("enabled", "group", groupUuid, "vms", all.size(), "hosts", live.size(), "epoch_ms", started.startedMs());
      return started;
    });
  }

  /**
   * A real guest restores from its checkpoints only (an MI VM's state between its checkpoints is rebuilt from its
   * log, which needs a piecewise deterministic guest): where an agent runs real guests, every VM must be SI.
   */
  private void refuseMiOnRealGuests(String groupUuid, List<String> live, List<MemberView> members) {
    boolean real = live.stream().anyMatch(h -> agents.find(h).map(AgentRegistry.Agent::realGuests).orElse(false));
    if (!real) return;
    for (MemberView m : members) {
      if (service.config(groupUuid).classOf(m.number()).period() != 1) {
        throw new ServiceException(ServiceException.Reason.INVALID, "VM " + m.vmUuid() + " is "
            + service.config(groupUuid).classOf(m.number()) + ", but this cluster's agents run real guests, which"
            + " restore from checkpoints only: make every VM of the group SI");
      }
    }
  }

  /**
   * Live migration, on the recovery thread (a migration and a recovery of one group never overlap). A source that
   * refuses because the VM's checkpoints or logs are still on their way to stable storage is asked again, for up to
   * three base periods.
   */
  @Override public MemberView migrate(String vmUuid, String hostUuid) {
    return onRecoveryThread(() -> {
      String group = service.groupOfVm(vmUuid).orElseThrow(
          () -> new ServiceException(ServiceException.Reason.UNKNOWN_VM, "VM " + vmUuid + " is in no protection group"));
      if (service.group(group).startedMs() == null) {
        throw new ServiceException(ServiceException.Reason.WRONG_STATE, "group " + group + " is not enabled");
      }
      String from = service.members(group).stream().filter(m -> m.vmUuid().equals(vmUuid)).findFirst()
          .map(MemberView::hostUuid).orElse(null);
      long deadline = System.nanoTime() + 3 * service.group(group).basePeriodMs() * 1_000_000L;
      while (true) {
        try {
          migrations.migrate(group, vmUuid, hostUuid);
          break;
        } catch (MigrationRefusedException notYet) {
          if (System.nanoTime() > deadline) throw notYet;
          Thread.sleep(100);
        }
      }
      MemberView moved = service.members(group).stream().filter(m -> m.vmUuid().equals(vmUuid)).findFirst().orElseThrow();
      // The agents' own events (vm_stop and vm_start, reason "migrated") say where it ran when; this is the summary.
      events.emit("migrated", "group", group, "vm", moved.number(), "from_host", from, "to_host", hostUuid);
      return moved;
    });
  }

  @Override public Optional<RecoveryEventView> recover(String groupUuid) {
    return onRecoveryThread(() -> {
      resumeLeftoversFirst();
      return record(coordinator.recover(groupUuid, FailureKind.HOST, groupUuid, Set.of()), clock.instant(),
          clock.instant());
    });
  }

  // ---- failure detection ---------------------------------------------------------------------------------------

  private void watch() {
    try {
      for (String host : detector.expired()) {
        Instant detected = clock.instant();
        Instant lastHeard = detector.leaseEnd(host).map(end -> end.minus(settings.lease())).orElse(detected);
        log.warn("host {} ({}) missed its lease: recovering its groups", agents.nameOf(host), host);
        recoveries.execute(() -> {
          try {
            for (RecoveryEventView e : onHostFailed(host, lastHeard, detected)) record(Optional.of(e), lastHeard, detected);
          } catch (RuntimeException e) {
            log.error("recovery after the failure of host {} failed: {}", host, e.getMessage());
            events.emit("recovery_failed", "host", host, "error", String.valueOf(e.getMessage()));
          }
        });
      }
    } catch (RuntimeException e) {
      log.error("failure detection: {}", e.toString());
    }
  }

  /**
   * On the recovery thread. The host_failure event says the host runs none of its VMs from then on, so it is
   * written once the fence is over (its lease ended), not when the failure is declared: until then the host's
   * VMs may still run. A host that came back since (it learnt of its failure, dropped every VM and rejoined) is
   * not fenced again: it may run VMs given to it since; its lost VMs are recovered all the same.
   */
  private List<RecoveryEventView> onHostFailed(String host, Instant lastHeard, Instant detected) {
    resumeLeftoversFirst();
    if (!detector.isFailed(host)) {
      log.info("host {} came back, empty, before its failure was handled: recovering what it lost", host);
      return coordinator.recoverGroupsOn(host);
    }
    channel.fence(host);
    events.emit("host_failure", "host", host, "name", agents.nameOf(host),
        "silent_s", Duration.between(lastHeard, detected).toMillis() / 1000.0);
    return coordinator.recoverGroupsOn(host);
  }

  private Optional<RecoveryEventView> record(Optional<RecoveryEventView> done, Instant lastHeard, Instant detected) {
    done.ifPresent(e -> {
      Instant finished = clock.instant();
      var plan = service.claimedPlan(e.uuid());
      events.emit("recovery", "group", e.groupUuid(), "id", e.uuid(), "state", e.state().name(),
          "line", plan.plan().lineIndex(), "failed", List.copyOf(plan.plan().failed()),
          "rolled_back", List.copyOf(plan.plan().rolledBack()), "replays", plan.plan().replayCount(),
          "detection_s", Duration.between(lastHeard, detected).toMillis() / 1000.0,
          "recovery_s", Duration.between(detected, finished).toMillis() / 1000.0);
    });
    return done;
  }

  // ---- deployment --------------------------------------------------------------------------------------------

  /** What an agent needs to run the group: its config, start, members with their hosts' tunnels, the guests. */
  private Deploy deployment(String groupUuid, List<Integer> boot) {
    GroupView group = service.group(groupUuid);
    if (group.startedMs() == null) {
      throw new ServiceException(ServiceException.Reason.WRONG_STATE, "group " + groupUuid + " is not enabled");
    }
    List<Member> members = new ArrayList<>();
    for (MemberView m : service.members(groupUuid)) {
      String tunnel = m.hostUuid() == null ? null : agents.find(m.hostUuid()).map(AgentRegistry.Agent::tunnel).orElse(null);
      members.add(new Member(m.number(), m.vmUuid(), m.hostUuid(), tunnel == null ? "0.0.0.0:9" : tunnel));
    }
    return new Deploy(groupUuid, service.config(groupUuid), group.startedMs(), members, settings.guests(), boot);
  }

  private List<GroupView> allGroups() {
    List<GroupView> out = new ArrayList<>();
    for (int offset = 0; ; offset += 500) {
      var page = service.listGroups(new PageRequest(offset, 500));
      out.addAll(page.items());
      if (offset + page.items().size() >= page.total()) return out;
    }
  }

  // ---- the agents' endpoints ---------------------------------------------------------------------------------

  private final class Endpoints implements AgentEndpoints.Agents {

    @Override public Object register(Register r) {
      if (r.hostUuid() == null || r.url() == null || r.tunnel() == null || r.bootId() == null) {
        throw new IllegalArgumentException("a registration needs hostUuid, url, tunnel and bootId");
      }
      Optional<AgentRegistry.Agent> before = agents.register(new AgentRegistry.Agent(r.hostUuid(), r.name(), r.url(),
          r.tunnel(), r.bootId(), r.realGuests()));
      boolean restarted = before.isPresent() && !before.get().bootId().equals(r.bootId());
      if ((restarted || lostVms(r)) && !detector.isFailed(r.hostUuid()) && !service.groupsOnHost(r.hostUuid()).isEmpty()) {
        // A new agent process lost the VMs the old one ran, lease or not; so did one that restarted while this
        // manager did not know it yet (it restarted too), which shows in what it holds.
        detector.declareFailed(r.hostUuid());
      }
      Map<String, List<Integer>> release = new HashMap<>();
      if (r.holdings() != null) {
        r.holdings().forEach((group, vms) -> {
          List<Integer> elsewhere = new ArrayList<>();
          Map<Integer, String> hostOf = new HashMap<>();
          try {
            for (MemberView m : service.members(group)) hostOf.put(m.number(), m.hostUuid());
          } catch (ServiceException deleted) {
            // the group is gone: release all
          }
          for (int vm : vms) if (!r.hostUuid().equals(hostOf.get(vm))) elsewhere.add(vm);
          if (!elsewhere.isEmpty()) release.put(group, elsewhere);
        });
      }
      events.emit("agent_registered", "host", r.hostUuid(), "name", r.name(), "tunnel", r.tunnel(),
          "restarted", restarted, "release", release);
      return new Registered(r.hostUuid(), detector.epoch(r.hostUuid()), settings.lease().toMillis(),
          settings.heartbeat().toMillis(), release);
    }

    /** Whether the catalog places on the host a VM of a started group that the agent does not hold. */
    private boolean lostVms(Register r) {
      for (String group : service.groupsOnHost(r.hostUuid())) {
        if (service.group(group).startedMs() == null) continue;
        List<Integer> held = r.holdings() == null ? List.of() : r.holdings().getOrDefault(group, List.of());
        for (MemberView m : service.members(group)) {
          if (r.hostUuid().equals(m.hostUuid()) && !held.contains(m.number())) return true;
        }
      }
      return false;
    }

    @Override public Object heartbeat(Heartbeat h) {
      if (h.hostUuid() == null || agents.find(h.hostUuid()).isEmpty()) {
        return new HeartbeatAnswer(h.seq(), false, false, 0);
      }
      FailureDetector.Answer a = detector.heartbeat(h.hostUuid(), h.epoch());
      return new HeartbeatAnswer(h.seq(), true, a.renewed(), a.epoch());
    }

    @Override public Object report(Reports r) {
      if (r.hostUuid() == null || r.group() == null || r.batch() == null) {
        throw new IllegalArgumentException("a report needs hostUuid, group and batch");
      }
      Map<Integer, String> uuidOf = new HashMap<>();
      for (MemberView m : service.members(r.group())) uuidOf.put(m.number(), m.vmUuid());
      List<NodeReport> batch = new ArrayList<>();
      for (Report item : r.batch()) {
        if (item.boundary() != null) {
          batch.add(new NodeReport.Boundary(item.boundary(), item.stable(), item.location(), item.sizeBytes(), item.digest()));
        } else if (item.late() != null) {
          batch.add(new NodeReport.InTransit(item.late(), item.location()));
        } else {
          throw new IllegalArgumentException("a report item names neither a boundary nor a late message");
        }
      }
      intake.accept(HostReports.of(r.hostUuid(), r.group(), vm -> {
        String uuid = uuidOf.get(vm);
        if (uuid == null) throw new IllegalArgumentException("group " + r.group() + " has no VM " + vm);
        return uuid;
      }, batch));
      return new Refusal(null);
    }
  }

  // ---- plumbing ----------------------------------------------------------------------------------------------

  private <T> T onRecoveryThread(java.util.concurrent.Callable<T> work) {
    Future<T> f = recoveries.submit(work);
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) throw r;
      throw new IllegalStateException(e.getCause());
    }
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  @Override public void close() {
    monitor.shutdownNow();
    recoveries.shutdownNow();
    orders.shutdownNow();
  }
}
