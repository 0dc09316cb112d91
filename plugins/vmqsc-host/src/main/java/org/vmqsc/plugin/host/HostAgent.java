package org.vmqsc.plugin.host;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.vmqsc.agent.CheckpointAgent;
import org.vmqsc.agent.flush.CheckpointState;
import org.vmqsc.agent.flush.LazyFlusher;
import org.vmqsc.agent.flush.StorageCollector;
import org.vmqsc.agent.log.StableMessageStore;
import org.vmqsc.agent.node.HostNode;
import org.vmqsc.agent.node.VmMigration;
import org.vmqsc.agent.store.CheckpointKey;
import org.vmqsc.agent.store.CheckpointStore;
import org.vmqsc.agent.store.DirectoryStore;
import org.vmqsc.agent.store.SharedStoreSweeper;
import org.vmqsc.agent.wire.WireMessages.Deploy;
import org.vmqsc.agent.wire.WireMessages.EmigrateOrder;
import org.vmqsc.agent.wire.WireMessages.Emigrated;
import org.vmqsc.agent.wire.WireMessages.GuestOrder;
import org.vmqsc.agent.wire.WireMessages.ImmigrateOrder;
import org.vmqsc.agent.wire.WireMessages.LineOrder;
import org.vmqsc.agent.wire.WireMessages.Member;
import org.vmqsc.agent.wire.WireMessages.Payload;
import org.vmqsc.agent.wire.WireMessages.PayloadsRequest;
import org.vmqsc.agent.wire.WireMessages.PlacementOrder;
import org.vmqsc.agent.wire.WireMessages.ReconcileOrder;
import org.vmqsc.agent.wire.WireMessages.ReplayOrder;
import org.vmqsc.agent.wire.WireMessages.Reports;
import org.vmqsc.agent.wire.WireMessages.RestoreOrder;
import org.vmqsc.agent.wire.WireMessages.RollbackOrder;
import org.vmqsc.agent.wire.WireMessages.StableLocation;
import org.vmqsc.protocol.Message;
import org.vmqsc.protocol.recovery.HostSnapshot;

/**
 * One host's side of vmqsc in CloudStack, whichever hypervisor (in a KVM host's agent, or in the management server
 * for a Xen host): one {@link GroupNode} per protection group, and the manager's orders carried out on them. The
 * command wrappers call it; every call runs alone, on this object's lock (a host node takes one event at a time),
 * the flusher's completions and the checkpoints' results included.
 *
 * <p>Checkpoints run on the host's {@link CheckpointExecutor}, which this agent owns and closes: a tick starts
 * those due and returns. Each call first hands the nodes the checkpoints finished since the last one, so a
 * checkpoint's staged report leaves with the first tick after it was stored.
 */
public final class HostAgent implements AutoCloseable {

  private static final Logger LOG = LogManager.getLogger(HostAgent.class);
  /**
   * How often a host offers to collect the stable store's chunks (one host at a time does): each sweep reads every
   * manifest on stable storage, so not often.
   */
  public static final Duration SWEEP_EVERY = Duration.ofMinutes(15);
  /** How long a sweep leaves a new pack, and a pack it moved aside, alone (minutes: NFS caches listings). */
  public static final Duration SWEEP_GRACE = Duration.ofMinutes(10);

  /** The stable store's chunk sweep with the plugin's grace. */
  public static StorageCollector.StableSweep sweepOf(DirectoryStore stable) {
    return () -> SharedStoreSweeper.sweep(stable, SWEEP_GRACE).map(Object::toString);
  }

  private final CheckpointExecutor checkpoints;
  private final StableMessageStore logs;
  /** Copies the host's staged checkpoints to stable storage; null without stable storage. */
  private final LazyFlusher flusher;
  private final Clock clock;
  private final Map<String, GroupNode> groups = new TreeMap<>();
  /** Groups a recovery holds still here, deployed here or not yet. */
  private final Set<String> frozen = new HashSet<>();
  /** Deletes what the line leaves behind in this host's stores; null until {@link #collecting} gives one. */
  private StorageCollector collector;
  /** The host's uuid in CloudStack, as the first deployment named it. */
  private String hostUuid;
  /** Carries the protected guests' traffic on the relay network; null until {@link #carrying} gives it. */
  private HostTraffic traffic;
  /** How long this host runs a group's VMs without a tick from the manager; null: no lease (see {@link #lease}). */
  private Duration lease;
  /** Per group, when this host last heard from the manager (a tick, or the deployment). */
  private final Map<String, Long> lastHeard = new HashMap<>();
  private ScheduledExecutorService leaseWatch;

  /** With the host's default number of checkpoint threads ({@link CheckpointExecutor#defaultThreads}). */
  public HostAgent(CheckpointAgent checkpoints, LazyFlusher flusher, StableMessageStore logs, Clock clock) {
    this(checkpoints, flusher, logs, clock, CheckpointExecutor.defaultThreads());
  }

  /** @param checkpointThreads how many VMs' checkpoints run at once on this host */
  public HostAgent(CheckpointAgent checkpoints, LazyFlusher flusher, StableMessageStore logs, Clock clock,
                   int checkpointThreads) {
    this.checkpoints = new CheckpointExecutor(checkpoints, checkpointThreads);
    this.logs = logs;
    this.flusher = flusher;
    this.clock = clock;
    if (flusher != null) {
      flusher.addListener((key, state) -> {
        if (state == CheckpointState.STABLE) stable(key);
      });
    }
  }

  /**
   * Deletes, from now on, what each line move leaves behind in {@code staging}, {@code stable} and the log store
   * (this agent closes the collector). Its problems go to the agent's log.
   */
  public synchronized HostAgent collecting(CheckpointStore staging, CheckpointStore stable, Duration sweepEvery,
                                           StorageCollector.StableSweep sweep) {
    if (flusher == null) throw new IllegalStateException("no flusher: this agent has no stable storage to collect");
    collector = new StorageCollector(staging, flusher, stable, logs, location -> {
      try {
        return Optional.of(DriverGuests.parse(location));
      } catch (IllegalArgumentException notACheckpoint) {
        return Optional.empty();
      }
    }, sweep, sweepEvery, new StorageCollector.Listener() {
      @Override public void collected(StorageCollector.Result r) {
        LOG.debug("collected behind the line: {}", r);
      }

      @Override public void failed(String what, IOException error) {
        LOG.warn("could not collect {}: {}", what, error.getMessage());
      }
    });
    return this;
  }

  /**
   * Carries the protected guests' frames from now on (groups deployed before keep running without): each group's
   * VMs' NICs on the relay network join its switch here, frames become messages of the protocol, and the guests
   * are cut before their indices move. This agent closes {@code traffic}.
   */
  public synchronized HostAgent carrying(HostTraffic traffic) {
    this.traffic = traffic;
    return this;
  }

  /** Whether this agent carries its guests' traffic (see {@link #carrying}). */
  public synchronized boolean carriesTraffic() {
    return traffic != null;
  }

  /**
   * This host runs a group's VMs only while it hears from the manager: when no tick came for {@code lease}, it
   * stops them (their guests paused, frames for them held, no boundary passed) until the next tick, so that a
   * recovery that restores them elsewhere, once the manager has given this host up, never finds them still running
   * here. Checked every quarter lease; the manager's heartbeat must be far shorter.
   */
  public synchronized void lease(Duration lease) {
    if (lease == null || lease.equals(this.lease)) return;
    this.lease = lease;
    if (leaseWatch != null) leaseWatch.shutdownNow();
    leaseWatch = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "vmqsc-lease");
      t.setDaemon(true);
      return t;
    });
    long every = Math.max(100, lease.toMillis() / 4);
    leaseWatch.scheduleWithFixedDelay(this::checkLeases, every, every, TimeUnit.MILLISECONDS);
  }

  /** Stops the VMs of every group whose lease ran out here (see {@link #lease}); returns those groups. */
  public synchronized List<String> checkLeases() {
    if (lease == null) return List.of();
    checkpoints.deliverFinished();
    long now = clock.millis();
    List<String> stopped = new ArrayList<>();
    groups.forEach((name, g) -> {
      Long heard = lastHeard.get(name);
      if (heard == null || now - heard < lease.toMillis() || g.held(GroupNode.Hold.LEASE)) return;
      g.hold(GroupNode.Hold.LEASE);
      stopped.add(name);
      LOG.warn("vmqsc: no word from the management server for {} s: the VMs of group {} stop here until it speaks",
          lease.toSeconds(), name);
    });
    return stopped;
  }

  /** Runs a frame's hand-over on this agent's lock, after the host's frames before it. */
  private void onLock(Runnable task) {
    traffic.frames().execute(() -> {
      synchronized (this) {
        checkpoints.deliverFinished();
        try {
          task.run();
        } catch (RuntimeException e) {
          LOG.warn("vmqsc: a frame could not be handed to its group: {}", e.toString());
        }
      }
    });
  }

  private synchronized void stable(org.vmqsc.agent.store.CheckpointKey key) {
    checkpoints.deliverFinished(); // the flusher may be quicker than the delivery of the checkpoint it copied
    for (GroupNode g : groups.values()) g.guests().flushed(key);
  }

  /** Runs the group here (once) and starts the VMs of {@code boot} that run on this host. */
  public void deploy(String host, Deploy d) {
    deploy(host, null, d);
  }

  /**
   * Runs the group here (once) and starts the VMs of {@code boot} that run on this host; {@code relay} is this
   * host's relay address as the manager names it to the other hosts (null: the address its own VMs' members name).
   */
  public synchronized void deploy(String host, String relay, Deploy d) {
    checkpoints.deliverFinished();
    if (hostUuid == null) hostUuid = host;
    lastHeard.put(d.group(), clock.millis());
    GroupNode g = groups.computeIfAbsent(d.group(), k -> {
      GroupTraffic carried = traffic == null ? null : GroupTraffic.of(d, hostUuid, relay, traffic, this::onLock);
      GroupNode fresh = new GroupNode(hostUuid, d, checkpoints, logs, clock, carried);
      if (frozen.contains(k)) fresh.freeze();
      return fresh;
    });
    List<Integer> booting = new ArrayList<>();
    for (Member m : d.members()) {
      if (hostUuid.equals(m.hostUuid()) && d.boot().contains(m.number()) && !g.node().runs(m.number())) {
        booting.add(m.number());
      }
    }
    if (!booting.isEmpty()) g.boot(booting);
  }

  /** The boundaries the host's clock reached, then what the node reported since the last tick. */
  public synchronized Reports tick(String group) {
    checkpoints.deliverFinished();
    GroupNode g = groups.get(group);
    if (g == null) return new Reports(hostUuid, group, List.of());
    lastHeard.put(group, clock.millis()); // the lease is renewed
    if (g.held(GroupNode.Hold.LEASE)) {
      LOG.info("vmqsc: the management server speaks again: the VMs of group {} run on", group);
      g.release(GroupNode.Hold.LEASE);
    }
    g.tick();
    return new Reports(hostUuid, group, g.drainReports());
  }

  public synchronized HostSnapshot snapshot(String group) {
    checkpoints.deliverFinished();
    GroupNode g = groups.get(group);
    if (g == null) return new HostSnapshot(hostUuid, List.of(), Map.of(), Map.of(), Map.of());
    return g.node().snapshot();
  }

  public synchronized List<Payload> payloads(PayloadsRequest p) {
    checkpoints.deliverFinished();
    List<Payload> out = new ArrayList<>();
    GroupNode g = groups.get(p.group());
    if (g != null) g.node().payloads(p.messages()).forEach((m, bytes) -> out.add(new Payload(m, bytes)));
    return out;
  }

  /**
   * Restores a VM here. A checkpoint of it still running finishes first (the driver never captures and restores one
   * guest at once); its result is then dropped, the VM having changed. If it does not finish in time, the order is
   * refused before anything changed. The wait is not on this agent's lock: the host's other calls (every group's
   * ticks among them) go on meanwhile; on the lock, a checkpoint of the VM started since is waited for again.
   * A checkpoint of the VM under way when the order came is of the guest the restore replaces: never reported,
   * whichever call hands the nodes its result (also when the restore is then refused: it is abandoned).
   */
  public void restore(RestoreOrder o) {
    GroupNode waiting;
    synchronized (this) {
      checkpoints.deliverFinished();
      waiting = deployed(o.group());
      if (waiting.node().hasDone(o.restore())) return;
      waiting.guests().replacing(o.restore().vm());
    }
    waiting.guests().awaitCheckpoints(o.restore().vm());
    synchronized (this) {
      checkpoints.deliverFinished();
      GroupNode g = deployed(o.group());
      if (!g.node().hasDone(o.restore())) g.guests().awaitCheckpoints(o.restore().vm());
      // Frames the guest it replaces sent are taken first, as of its old execution.
      g.cutAround(List.of(o.restore().vm()),
          () -> g.node().restoreToLine(o.restore(), o.checkpointLocation(), o.segmentLocations()));
      if (!frozen.contains(o.group())) g.guests().releaseHeld(); // no recovery holds the group: it runs now
    }
  }

  public synchronized void rollback(RollbackOrder o) {
    checkpoints.deliverFinished();
    GroupNode g = groups.get(o.group());
    if (g == null) return;
    g.node().onRollback(o.vm(), o.incarnation(), o.sentToAtLine());
    if (!frozen.contains(o.group())) g.guests().releaseHeld();
  }

  public synchronized void replay(ReplayOrder o) {
    checkpoints.deliverFinished();
    Map<Message, byte[]> payloads = new HashMap<>();
    for (Payload p : o.payloads()) payloads.put(p.message(), p.bytes());
    Map<Message, String> locations = new HashMap<>();
    for (StableLocation s : o.stableLocations()) locations.put(s.message(), s.location());
    node(o.group()).replay(o.vm(), o.replays(), payloads, locations);
  }

  /**
   * The line moved: the node collects its logs behind it, the disk states that checkpoints behind it kept in the
   * disk files of VMs running here go (the host running a VM is the one whose hypervisor has its files open), and
   * the collector deletes the rest behind it.
   */
  public synchronized void line(LineOrder o) {
    checkpoints.deliverFinished();
    GroupNode g = groups.get(o.group());
    if (g != null) {
      g.node().onLine(o.index());
      for (String location : o.collectable()) {
        CheckpointKey key;
        try {
          key = DriverGuests.parse(location);
        } catch (IllegalArgumentException notACheckpoint) {
          continue;
        }
        if (g.runsHere(key.vmId())) checkpoints.forgetDiskSnapshots(key);
      }
    }
    if (collector != null) collector.collect(o.collectable());
  }

  /** Deletes what this host's stores hold and the catalog no longer counts on (see {@link ReconcileOrder}). */
  public synchronized void reconcile(ReconcileOrder o) {
    if (collector != null) collector.reconcile(o.stored(), Duration.ofMillis(o.graceMillis()));
  }

  public synchronized void placement(PlacementOrder o) {
    checkpoints.deliverFinished();
    GroupNode g = groups.get(o.group());
    if (g == null) return;
    if (g.traffic() != null) g.traffic().place(o.vm(), o.tunnel());
    g.node().onPlacement(o.vm());
  }

  /**
   * A recovery holds its group still on every host it orders, also where none of the group's VMs runs yet: a VM it
   * restores here later stands still too until the recovery ends.
   */
  public synchronized void freeze(String group) {
    checkpoints.deliverFinished();
    frozen.add(group);
    GroupNode g = groups.get(group);
    if (g != null) g.freeze();
  }

  public synchronized void thaw(String group) {
    checkpoints.deliverFinished();
    frozen.remove(group);
    GroupNode g = groups.get(group);
    if (g != null) g.thaw();
  }

  /** The group was deleted: this host stops running it (a checkpoint of it under way is dropped when it ends). */
  public synchronized void drop(String group) {
    checkpoints.deliverFinished();
    frozen.remove(group);
    GroupNode g = groups.remove(group);
    if (g != null) g.close();
  }

  public synchronized void evict(GuestOrder o) {
    checkpoints.deliverFinished();
    GroupNode g = groups.get(o.group());
    if (g != null) g.node().evict(o.vm());
  }

  /**
   * Fenced: this host's protected VMs run elsewhere now; it forgets every group and rejoins empty. Checkpoints still
   * running are not waited for (a fence is urgent): their results are dropped when they finish.
   */
  public synchronized void fence() {
    checkpoints.deliverFinished();
    for (GroupNode g : groups.values()) {
      for (int vm : g.node().vms()) g.node().evict(vm);
      g.guests().forget();
      g.close();
    }
    groups.clear();
    frozen.clear(); // a fenced host takes no part in the recoveries under way: none will thaw it
  }

  public synchronized Emigrated emigrate(EmigrateOrder o) {
    checkpoints.deliverFinished();
    VmMigration m = node(o.group()).emigrate(o.vm(), o.target());
    return new Emigrated(m, null); // the hypervisor's live migration carries the guest itself
  }

  public synchronized void immigrate(ImmigrateOrder o) {
    checkpoints.deliverFinished();
    GroupNode g = deployed(o.group());
    g.node().immigrate(o.migration());
    if (g.traffic() != null) g.traffic().booted(o.migration().transfer().vm());
  }

  /** Checkpoints that failed on this host (driver error, store full, guest gone): each is logged with its VM. */
  public long failedCheckpoints() {
    return checkpoints.failed();
  }

  /** Checkpoints taken but never reported: their VM was restored, moved or stopped here while they ran. */
  public long droppedCheckpoints() {
    return checkpoints.discarded();
  }

  /**
   * Waits up to {@code bound} for the checkpoints started so far to finish; their results reach the nodes with the
   * next call. Not on the lock: they need none. For tests, and for an agent that stops in order.
   */
  public boolean awaitCheckpoints(Duration bound) {
    return checkpoints.awaitIdle(bound);
  }

  /** Stops the checkpoint executor (checkpoints under way get 10 s to finish); no result is delivered after. */
  @Override public void close() {
    synchronized (this) {
      if (leaseWatch != null) leaseWatch.shutdownNow();
    }
    checkpoints.close();
    synchronized (this) {
      for (GroupNode g : groups.values()) g.close();
      if (traffic != null) traffic.close();
    }
    if (collector != null) {
      try {
        collector.close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private HostNode node(String group) {
    return deployed(group).node();
  }

  private GroupNode deployed(String group) {
    GroupNode g = groups.get(group);
    if (g == null) throw new IllegalStateException("group " + group + " is not deployed on host " + hostUuid);
    return g;
  }
}
