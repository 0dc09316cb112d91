package org.vmqsc.agent.process;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.vmqsc.agent.driver.GuestMachines;
import org.vmqsc.agent.flush.StorageCollector;
import org.vmqsc.agent.log.DirectoryMessageStore;
import org.vmqsc.agent.net.PeerListener;
import org.vmqsc.agent.net.TunnelConfig;
import org.vmqsc.agent.net.UdpTunnel;
import org.vmqsc.agent.node.LeaseKeeper;
import org.vmqsc.agent.store.DirectoryStore;
import org.vmqsc.agent.store.SafeFiles;
import org.vmqsc.agent.wire.WireMessages.Deploy;
import org.vmqsc.agent.node.VmMigration;
import org.vmqsc.agent.wire.WireMessages.EmigrateOrder;
import org.vmqsc.agent.wire.WireMessages.Emigrated;
import org.vmqsc.agent.wire.WireMessages.FenceOrder;
import org.vmqsc.agent.wire.WireMessages.GroupRef;
import org.vmqsc.agent.wire.WireMessages.ImmigrateOrder;
import org.vmqsc.agent.wire.WireMessages.GuestOrder;
import org.vmqsc.agent.wire.WireMessages.Heartbeat;
import org.vmqsc.agent.wire.WireMessages.HeartbeatAnswer;
import org.vmqsc.agent.wire.WireMessages.LineOrder;
import org.vmqsc.agent.wire.WireMessages.ReconcileOrder;
import org.vmqsc.agent.wire.WireMessages.Member;
import org.vmqsc.agent.wire.WireMessages.Payload;
import org.vmqsc.agent.wire.WireMessages.PayloadsRequest;
import org.vmqsc.agent.wire.WireMessages.PlacementOrder;
import org.vmqsc.agent.wire.WireMessages.Register;
import org.vmqsc.agent.wire.WireMessages.Registered;
import org.vmqsc.agent.wire.WireMessages.ReplayOrder;
import org.vmqsc.agent.wire.WireMessages.RestoreOrder;
import org.vmqsc.agent.wire.WireMessages.RollbackOrder;
import org.vmqsc.agent.wire.WireMessages.StableLocation;
import org.vmqsc.agent.wire.WireMessages.Status;
import org.vmqsc.agent.wire.WireMessages.VmStatus;
import org.vmqsc.protocol.Message;
import org.vmqsc.protocol.recovery.HostSnapshot;

/**
 * A standalone host agent: one host of the cluster as its own process. It registers with its manager, keeps its
 * lease by heartbeats (and stops its VMs before the lease can end), runs a {@link GroupRuntime} per protection
 * group the manager deploys to it, and carries out the manager's orders.
 *
 * <p>Its home holds its host uuid (kept across restarts: the same host comes back) and its staging store, emptied
 * at start (a restarted agent ran no VM any more: the manager recovers them from stable storage). Stable storage
 * is a folder every agent shares, as CloudStack secondary storage would be.
 *
 * <p>Threads: the loop (every host node call), the heartbeat, the HTTP server's, the reports sender, the
 * checkpointer and flusher, the log writer, the tunnel's two.
 */
public final class AgentProcess implements AutoCloseable {

  /**
   * @param name     the host's name, as listHosts shows it
   * @param manager  the manager's base URL (http://127.0.0.1:8080/)
   * @param token    the cluster's agent token (the manager keeps it in its home, owner-only)
   * @param home     this agent's folder
   * @param stable   the stable storage every agent shares
   * @param events   the JSON Lines event file, or null
   */
  /**
   * @param sweepGrace how long a sweep of the stable store leaves a new pack, and one it moved aside, alone (see
   *     agent-ext/README, "Collecting the stable store"); hosts offer a sweep every quarter of it, at least 5 s apart
   */
  public record Config(String name, URI manager, String token, Path home, Path stable, Path events,
                       Duration sweepGrace) {
    public Config(String name, URI manager, String token, Path home, Path stable, Path events) {
      this(name, manager, token, home, stable, events, Duration.ofMinutes(2));
    }

    public Config {
      if (sweepGrace == null || sweepGrace.toMillis() < 1000) {
        throw new IllegalArgumentException("--sweep-grace-s must be at least 1, got " + sweepGrace);
      }
      if (name == null || !name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
        throw new IllegalArgumentException("--name must be 1-64 letters, digits, '.', '_' or '-', got " + name);
      }
      if (manager == null || !"http".equals(manager.getScheme()) || manager.getHost() == null) {
        throw new IllegalArgumentException("--manager must be an http:// URL of a vmqsc manager, got " + manager);
      }
      if (token == null || token.isBlank()) throw new IllegalArgumentException("the agent token is missing");
      if (home == null || stable == null) throw new IllegalArgumentException("the agent needs a home and stable storage");
    }
  }

  private final Config config;
  /** Real guests this agent runs itself (QEMU under libvirt), or null: its guests are simulated. */
  private final GuestMachines machines;
  private final String hostUuid;
  private final String bootId = UUID.randomUUID().toString();
  private final EventLog events;
  private final ManagerClient manager;
  private final ScheduledThreadPoolExecutor loop;
  private final ScheduledExecutorService heartbeats;
  private final ExecutorService logWriter;
  private final GuestCheckpoints checkpoints;
  private final DirectoryMessageStore logStore;
  /** Deletes what the line leaves behind, from this host's staging store and from stable storage. */
  private final StorageCollector collector;
  private final UdpTunnel tunnel;
  private final ReportSender reports;
  private final AgentHttp http;
  /** Groups by uuid; the loop thread's own. */
  private final Map<String, GroupRuntime> runtimes = new TreeMap<>();
  /**
   * Groups a recovery holds still here, whether or not this host runs any of their VMs yet: a VM the recovery
   * restores here later must stand still too until the recovery ends. Were it to run, and the recovery's manager
   * to die, the manager that takes the recovery up would restore it again under the same incarnation — two
   * executions of one incarnation, whose messages no receiver can tell apart.
   */
  private final Set<String> frozen = new HashSet<>();

  private volatile LeaseKeeper lease;
  /** The latest stop deadline any renewal gave (kept when a fencing answer clears the lease's own). */
  private volatile Instant coveredUntil;
  private volatile boolean registered;
  private volatile long heartbeatMillis = 1000;
  private volatile boolean closed;

  private AgentProcess(Config config, GuestMachines machines) throws IOException {
    this.config = config;
    this.machines = machines;
    Path home = SafeFiles.ownerOnlyDirectory(config.home());
    this.hostUuid = hostUuid(home);
    this.events = config.events() == null ? EventLog.none()
        : EventLog.open(config.events(), "agent " + config.name(), "host", hostUuid, "name", config.name());
    this.manager = new ManagerClient(config.manager(), config.token());
    this.loop = new ScheduledThreadPoolExecutor(1, daemon("vmqsc-node"));
    loop.setRemoveOnCancelPolicy(true);
    this.heartbeats = Executors.newSingleThreadScheduledExecutor(daemon("vmqsc-heartbeat"));
    this.logWriter = Executors.newSingleThreadExecutor(daemon("vmqsc-log-writer"));
    Path staging = home.resolve("staging");
    SafeFiles.deleteTree(staging); // a new process runs no VM: what it staged before serves nobody
    Files.createDirectories(config.stable());
    this.checkpoints = new GuestCheckpoints(DirectoryStore.open("staging", staging),
        DirectoryStore.openShared("stable", config.stable().resolve("checkpoints")), config.stable().resolve("disks"));
    this.logStore = DirectoryMessageStore.openShared(config.stable().resolve("logs"));
    this.collector = checkpoints.collector(logStore, config.sweepGrace(), new StorageCollector.Listener() {
      @Override public void collected(StorageCollector.Result r) {
        events.emit("collected", "host", hostUuid, "staged", r.stagedManifests(), "stable", r.stableManifests(),
            "log_records", r.logRecords(), "waiting", r.waiting(), "staging_chunks", r.stagingChunks(),
            "staging_bytes_freed", r.stagingBytesFreed(), "sweep", r.sweep());
      }

      @Override public void reconciled(StorageCollector.Result r) {
        events.emit("reconciled", "host", hostUuid, "staged", r.stagedManifests(), "stable", r.stableManifests(),
            "log_records", r.logRecords(), "staging_chunks", r.stagingChunks());
      }

      @Override public void failed(String what, IOException error) {
        events.emit("collect_failed", "host", hostUuid, "what", what, "error", error.getMessage());
      }
    }, key -> {
      if (machines != null) machines.forgetDisks(checkpoints.disksOf(key));  // a real guest's disk states
    });
    this.tunnel = UdpTunnel.open(new InetSocketAddress("127.0.0.1", 0), tunnelConfig(Duration.ofSeconds(3)),
        this::peerUnreachable);
    this.reports = new ReportSender(manager, events,
        group -> loop.execute(() -> drop(group, "unknown to the manager")));
    this.http = new AgentHttp(new InetSocketAddress("127.0.0.1", 0), config.token());
    routes();
  }

  /** Starts the agent; it registers in the background and keeps trying until its manager answers. */
  public static AgentProcess start(Config config) throws IOException {
    return start(config, null);
  }

  /** Starts an agent whose guests are real machines ({@code machines}), not simulated ones. */
  public static AgentProcess start(Config config, GuestMachines machines) throws IOException {
    AgentProcess agent = new AgentProcess(config, machines);
    agent.http.start();
    agent.events.emit("agent_start", "host", agent.hostUuid, "name", config.name(), "url", agent.http.url(),
        "tunnel", agent.tunnelAddress(), "boot", agent.bootId);
    agent.heartbeats.execute(agent::heartbeat);
    agent.loop.scheduleWithFixedDelay(agent::watchLease, 50, 50, TimeUnit.MILLISECONDS);
    return agent;
  }

  public String hostUuid() {
    return hostUuid;
  }

  public String url() {
    return http.url();
  }

  public String tunnelAddress() {
    return tunnel.address().getHostString() + ":" + tunnel.address().getPort();
  }

  /** Whether the manager knows this agent and its lease lets it run VMs now. */
  public boolean running() {
    LeaseKeeper l = lease;
    return registered && l != null && !l.mustStop();
  }

  public String readyLine() {
    return "agent " + config.name() + ": host " + hostUuid + ", orders on " + http.url() + ", tunnel "
        + tunnelAddress() + ", manager " + manager.base();
  }

  // ---- lease -------------------------------------------------------------------------------------------------

  /**
   * Every heartbeat period: register when the manager does not know this agent, else send a heartbeat without
   * waiting for its answer (a slow manager must not delay the next one; each answer renews from its own send).
   */
  private void heartbeat() {
    if (closed) return;
    try {
      if (!registered) {
        register();
        return;
      }
      LeaseKeeper l = lease;
      long seq = l.heartbeatSent();
      manager.heartbeat(new Heartbeat(hostUuid, l.epoch(), seq), l.lease()).whenComplete((answer, error) -> {
        if (error != null || closed) return; // the lease runs out on its own if this goes on
        if (!answer.known()) {
          registered = false; // a restarted manager: the next tick tells it what this host runs
          return;
        }
        noteDeadline(l);
        l.answered(answer.seq(), answer.renewed(), answer.epoch());
        noteDeadline(l);
        if (l.isFenced()) heartbeats.execute(this::fencedNow);
      });
    } catch (IOException e) {
      // not registered yet: the next tick tries again
    } catch (RuntimeException | InterruptedException | ExecutionException | TimeoutException e) {
      events.emit("agent_error", "host", hostUuid, "error", e.toString());
    } finally {
      if (!closed) heartbeats.schedule(this::heartbeat, heartbeatMillis, TimeUnit.MILLISECONDS);
    }
  }

  private void fencedNow() {
    try {
      if (lease.isFenced()) fenced();
    } catch (Exception e) {
      events.emit("agent_error", "host", hostUuid, "error", e.toString());
    }
  }

  private void register() throws IOException, InterruptedException, ExecutionException, TimeoutException {
    Map<String, List<Integer>> holdings = onLoop(() -> {
      Map<String, List<Integer>> out = new LinkedHashMap<>();
      runtimes.forEach((group, runtime) -> out.put(group, runtime.holdings()));
      return out;
    });
    Registered answer = manager.register(new Register(config.name(), hostUuid,
        bootId, http.url(), tunnelAddress(), holdings, machines != null));
    heartbeatMillis = answer.heartbeatMillis();
    if (lease == null) {
      lease = new LeaseKeeper(Clock.systemUTC(), Duration.ofMillis(answer.leaseMillis()), 1e-3, Duration.ofMillis(250));
    }
    LeaseKeeper l = lease;
    if (answer.epoch() > l.epoch()) {
      l.answered(-1, false, answer.epoch());
      l.rejoin();
    }
    onLoop(() -> {
      answer.release().forEach((group, vms) -> {
        GroupRuntime runtime = runtimes.get(group);
        if (runtime != null) runtime.release(vms);
      });
      return null;
    });
    registered = true;
    events.emit("registered", "host", hostUuid, "epoch", l.epoch(), "lease_ms", answer.leaseMillis());
  }

  /** The manager declared this host failed: its VMs run elsewhere now. Drop everything, rejoin empty. */
  private void fenced() throws InterruptedException, ExecutionException, TimeoutException, IOException {
    onLoop(() -> {
      dropAll("fenced");
      return null;
    });
    lease.rejoin();
    registered = false;
    register();
  }

  /** Stops running one group here (it was deleted): its guests stop, its frames and reports end. */
  private void drop(String group, String reason) {
    GroupRuntime r = runtimes.remove(group);
    frozen.remove(group);
    if (r != null) {
      r.close(reason);
      events.emit("dropped", "group", group, "host", hostUuid, "reason", reason);
    }
  }

  private void dropAll(String reason) {
    runtimes.values().forEach(r -> r.close(reason));
    runtimes.clear();
    frozen.clear(); // a fenced host takes no part in the recoveries under way: none will thaw it
    events.emit("fenced", "host", hostUuid, "reason", reason);
  }

  /** On the loop: stop every group the moment the lease no longer covers it, resume when it does again. */
  private void watchLease() {
    boolean held = leaseHeld();
    for (GroupRuntime r : runtimes.values()) {
      if (held) r.resume(); else r.stop("lease");
    }
  }

  private void noteDeadline(LeaseKeeper l) {
    l.stopDeadline().ifPresent(d -> {
      Instant c = coveredUntil;
      if (c == null || d.isAfter(c)) coveredUntil = d;
    });
  }

  /** When the VMs stopped for lack of a lease: now, or the end of the last lease if that passed unnoticed. */
  private Instant leaseStop() {
    Instant now = Instant.now(), c = coveredUntil;
    return c != null && c.isBefore(now) ? c : now;
  }

  private boolean leaseHeld() {
    LeaseKeeper l = lease;
    return registered && l != null && !l.mustStop();
  }

  private void peerUnreachable(InetSocketAddress peer, int undelivered) {
    events.emit("peer_unreachable", "host", hostUuid, "peer", peer.getHostString() + ":" + peer.getPort(),
        "undelivered", undelivered);
  }

  // ---- orders ------------------------------------------------------------------------------------------------

  private void routes() {
    http.route("deploy", Deploy.class, d -> onLoop(() -> deploy(d)))
        .route("snapshot", GroupRef.class, g -> onLoop(() -> snapshot(g.group())))
        .route("payloads", PayloadsRequest.class, p -> onLoop(() -> payloads(p)))
        .route("restore", RestoreOrder.class, o -> onLoop(() -> {
          runtime(o.group()).restore(o.restore(), o.checkpointLocation(), o.segmentLocations());
          return null;
        }))
        .route("rollback", RollbackOrder.class, o -> onLoop(() -> {
          GroupRuntime r = runtimes.get(o.group());
          if (r != null) r.node().onRollback(o.vm(), o.incarnation(), o.sentToAtLine());
          return null;
        }))
        .route("replay", ReplayOrder.class, o -> onLoop(() -> {
          Map<Message, byte[]> payloads = new HashMap<>();
          for (Payload p : o.payloads()) payloads.put(p.message(), p.bytes());
          Map<Message, String> locations = new HashMap<>();
          for (StableLocation s : o.stableLocations()) locations.put(s.message(), s.location());
          runtime(o.group()).replay(o.vm(), o.replays(), payloads, locations);
          return null;
        }))
        .route("line", LineOrder.class, o -> onLoop(() -> {
          GroupRuntime r = runtimes.get(o.group());
          if (r != null) r.line(o.index());
          collector.collect(o.collectable());
          return null;
        }))
        .route("placement", PlacementOrder.class, o -> onLoop(() -> {
          GroupRuntime r = runtimes.get(o.group());
          if (r != null) r.placement(o.vm(), o.tunnel());
          return null;
        }))
        .route("fence", FenceOrder.class, o -> onLoop(() -> {
          LeaseKeeper l = lease;
          if (l == null || l.epoch() < o.epoch()) dropAll("fence order");
          return null;
        }))
        .route("freeze", GroupRef.class, o -> onLoop(() -> {
          frozen.add(o.group());
          GroupRuntime r = runtimes.get(o.group());
          if (r != null) r.freeze();
          return null;
        }))
        .route("thaw", GroupRef.class, o -> onLoop(() -> {
          frozen.remove(o.group());
          GroupRuntime r = runtimes.get(o.group());
          if (r != null) r.thaw();
          return null;
        }))
        .route("evict", GuestOrder.class, o -> onLoop(() -> {
          GroupRuntime r = runtimes.get(o.group());
          if (r != null) r.release(List.of(o.vm()));
          return null;
        }))
        .route("emigrate", EmigrateOrder.class, o -> onLoop(() -> {
          GroupRuntime r = runtime(o.group());
          VmMigration m = r.node().emigrate(o.vm(), o.target());
          return new Emigrated(m, r.handedOff(o.vm()));
        }))
        .route("immigrate", ImmigrateOrder.class, o -> onLoop(() -> {
          runtime(o.group()).immigrate(o.migration(), o.guest());
          return null;
        }))
        .route("drop", GroupRef.class, o -> onLoop(() -> {
          drop(o.group(), "deleted");
          return null;
        }))
        .route("reconcile", ReconcileOrder.class, o -> onLoop(() -> {
          collector.reconcile(o.stored(), Duration.ofMillis(o.graceMillis()));
          return null;
        }))
        .route("crash-guest", GuestOrder.class, o -> onLoop(() -> {
          runtime(o.group()).crashGuest(o.vm());
          return null;
        }))
        .route("quiesce", GroupRef.class, o -> onLoop(() -> {
          runtimes.values().forEach(GroupRuntime::quiesce);
          return null;
        }))
        .route("status", GroupRef.class, o -> onLoop(this::status));
  }

  private Object deploy(Deploy d) {
    GroupRuntime r = runtimes.get(d.group());
    if (r == null) {
      try {
        r = new GroupRuntime(hostUuid, d, loop, tunnel, checkpoints, logStore, logWriter, reports, events, this::leaseHeld,
            this::leaseStop, machines, config.home().resolve("restores"));
      } catch (IOException e) {
        throw new IllegalStateException("cannot deploy group " + d.group() + " here: " + e.getMessage(), e);
      }
      runtimes.put(d.group(), r);
      if (frozen.contains(d.group())) r.freeze();
      events.emit("deployed", "host", hostUuid, "group", d.group(), "t0", d.config().basePeriod(),
          "classes", d.config().classes().stream().map(Object::toString).toList(), "epoch_ms", d.epochMillis());
    }
    for (Member m : d.members()) {
      if (m.hostUuid() != null && m.hostUuid().equals(hostUuid) && d.boot().contains(m.number())) r.boot(m.number());
    }
    return null;
  }

  private HostSnapshot snapshot(String group) {
    GroupRuntime r = runtimes.get(group);
    if (r == null) return new HostSnapshot(hostUuid, List.of(), Map.of(), Map.of(), Map.of());
    return r.node().snapshot();
  }

  private List<Payload> payloads(PayloadsRequest p) {
    GroupRuntime r = runtimes.get(p.group());
    List<Payload> out = new ArrayList<>();
    if (r == null) return out;
    r.node().payloads(p.messages()).forEach((m, bytes) -> out.add(new Payload(m, bytes)));
    return out;
  }

  private Status status() {
    Map<String, List<VmStatus>> groups = new TreeMap<>();
    runtimes.forEach((g, r) -> groups.put(g, r.status()));
    LeaseKeeper l = lease;
    return new Status(config.name(), hostUuid, l == null ? 0 : l.epoch(), !leaseHeld(), groups);
  }

  private GroupRuntime runtime(String group) {
    GroupRuntime r = runtimes.get(group);
    if (r == null) throw new IllegalStateException("group " + group + " is not deployed on " + hostUuid);
    return r;
  }

  // ---- plumbing ----------------------------------------------------------------------------------------------

  private <T> T onLoop(Callable<T> work) throws InterruptedException, ExecutionException, TimeoutException {
    try {
      return loop.submit(work).get(60, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) throw r;
      throw e;
    }
  }

  /** Link attempts so a peer is given up only after twice the lease: by then the manager has declared it failed. */
  static TunnelConfig tunnelConfig(Duration lease) {
    TunnelConfig d = TunnelConfig.defaults();
    long capMillis = d.retransmitAfter().toMillis() << 3;
    int attempts = 8 + (int) Math.ceil(Math.max(0, 2 * lease.toMillis() - 2400) / (double) capMillis);
    return new TunnelConfig(d.retransmitAfter(), attempts, d.window(), d.maxBacklog());
  }

  private static String hostUuid(Path home) throws IOException {
    Path file = home.resolve("host-uuid");
    if (Files.exists(file)) {
      String text = Files.readString(file, StandardCharsets.UTF_8).trim();
      try {
        return UUID.fromString(text).toString();
      } catch (IllegalArgumentException e) {
        throw new IOException(file + " does not hold a host uuid: " + text);
      }
    }
    String uuid = UUID.randomUUID().toString();
    Files.writeString(file, uuid + "\n", StandardCharsets.UTF_8);
    return uuid;
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  @Override public void close() throws Exception {
    closed = true;
    heartbeats.shutdownNow();
    http.close();
    try {
      onLoop(() -> {
        runtimes.values().forEach(r -> r.close("agent stopped"));
        runtimes.clear();
        return null;
      });
    } finally {
      loop.shutdownNow();
      reports.close();
      logWriter.shutdownNow();
      tunnel.close();
      collector.close();
      checkpoints.close();
      if (machines != null) machines.close();
      events.close();
    }
  }
}
