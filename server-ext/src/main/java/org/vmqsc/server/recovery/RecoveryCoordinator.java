package org.vmqsc.server.recovery;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmqsc.agent.node.PastLineRestore;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.Message;
import org.vmqsc.protocol.host.SenderCopy;
import org.vmqsc.protocol.recovery.HostSnapshot;
import org.vmqsc.protocol.recovery.Replay;
import org.vmqsc.protocol.recovery.ReplaySource;
import org.vmqsc.protocol.recovery.SnapshotSurvivors;
import org.vmqsc.protocol.recovery.VmRestore;
import org.vmqsc.server.service.FailureKind;
import org.vmqsc.server.service.ProtectionService;
import org.vmqsc.server.service.PageRequest;
import org.vmqsc.server.service.RecoveryPolicy;
import org.vmqsc.server.service.RecoveryState;
import org.vmqsc.server.service.ServiceException;
import org.vmqsc.server.service.Views.HostFailurePlan;
import org.vmqsc.server.service.Views.MemberView;
import org.vmqsc.server.service.Views.RecoveryEventView;
import org.vmqsc.server.service.Views.RestoreStep;

/**
 * Drives a group's recovery after a failure, in steps that any manager can take again:
 *
 * <ol>
 *   <li><b>fence</b> the failed host, so the VMs about to run elsewhere never run twice;</li>
 *   <li><b>snapshot</b>: ask every reachable host what it holds of the group (counters, volatile logs, copies);
 *       a host that does not answer counts as failed too, and a member no host runs has failed;</li>
 *   <li><b>plan</b> with the protocol's planner on those snapshots (data, no call back to any host, no network
 *       call inside a database transaction);</li>
 *   <li><b>claim</b>: the service records the plan and applies its rollback in one transaction; a second manager
 *       finds the claim and stays out;</li>
 *   <li><b>order</b> the hosts: restore each rolled-back VM on its host if it survived, else on the least loaded
 *       live host; announce each rollback to every live host; replay the messages in transit; then tell every
 *       live host where each restored VM runs (they route to it and resend what it may have missed);</li>
 *   <li><b>finish</b>: record the outcome.</li>
 * </ol>
 *
 * Every host order is idempotent, so {@link #resume} may repeat the orders of a claimed plan after a crash.
 * Single-threaded per call; callers serialise recoveries of one group (the claim makes that safe across managers).
 */
public final class RecoveryCoordinator {

  private static final Logger log = LoggerFactory.getLogger(RecoveryCoordinator.class);

  private static final int RETRIES = 2;

  private final ProtectionService service;
  private final HostChannel hosts;
  /** Null: every order in turn, in this thread. */
  private final ExecutorService pool;

  public RecoveryCoordinator(ProtectionService service, HostChannel hosts) {
    this(service, hosts, null);
  }

  /** With {@code pool}, each step's orders go to the hosts at once (each host's in order); see {@link HostOrders}. */
  public RecoveryCoordinator(ProtectionService service, HostChannel hosts, ExecutorService pool) {
    this.service = service;
    this.hosts = hosts;
    this.pool = pool;
  }

  /** A host's lease expired: fence it, then recover every automatic group with a VM on it. */
  public List<RecoveryEventView> onHostFailed(String host) {
    hosts.fence(host);
    return recoverGroupsOn(host);
  }

  /**
   * Recovers every automatic group with a VM on {@code host}, already fenced (or back, empty, since its failure):
   * the VMs no live host runs roll back; a VM the host was given after it came back runs on.
   */
  public List<RecoveryEventView> recoverGroupsOn(String host) {
    List<RecoveryEventView> done = new ArrayList<>();
    for (String group : service.groupsOnHost(host)) {
      if (service.group(group).recoveryPolicy() == RecoveryPolicy.MANUAL) {
        log.warn("host {} failed; group {} recovers only when an admin asks (recovery policy MANUAL)", host, group);
        continue;
      }
      recover(group, FailureKind.HOST, host, Set.of()).ifPresent(done::add);
    }
    return done;
  }

  /**
   * A VM's guest failed and cannot be replayed forward (a real guest, hole 7): recover it like a host failure of
   * that one VM; its host's log still serves the replays.
   */
  public Optional<RecoveryEventView> onVmFailed(String group, String vmUuid) {
    return recover(group, FailureKind.VM, vmUuid, Set.of(vmUuid));
  }

  /**
   * Recovers {@code group}: every member that no reachable host runs, plus {@code alsoFailed}, and whatever must go
   * back with them roll back to the latest recoverable consistent state (never behind the line). Empty when nothing
   * failed, or another manager already runs this recovery.
   */
  public Optional<RecoveryEventView> recover(String group, FailureKind kind, String failedRef, Set<String> alsoFailed) {
    Collection<String> frozen = freeze(group);
    try {
      return recover(group, kind, failedRef, alsoFailed, frozen, RETRIES);
    } finally {
      thaw(group, frozen);
    }
  }

  /**
   * The group stands still on every reachable host from before the snapshots until the last order: no guest step,
   * no delivery. On one machine's simulator a recovery is one instant; over a network the VMs about to be rolled
   * back would run on meanwhile, and a survivor could receive what a doomed execution sent after the plan was made
   * (an orphan no plan knows). A host that does not answer is fenced and counted failed, as in a snapshot.
   */
  private Collection<String> freeze(String group) {
    List<String> frozen = new ArrayList<>();
    for (String h : hosts.liveHosts()) {
      try {
        hosts.freeze(h, group);
        frozen.add(h);
      } catch (HostUnreachableException e) {
        log.warn("{}: counted as failed", e.getMessage());
        hosts.fence(h);
      }
    }
    return frozen;
  }

  private void thaw(String group, Collection<String> frozen) {
    for (String h : frozen) {
      try {
        hosts.thaw(h, group);
      } catch (HostUnreachableException e) {
        log.warn("{}: it stays frozen until its lease ends or a recovery thaws it", e.getMessage());
      }
    }
  }

  /**
   * A recovery that fails part way (a host dies under it) has rolled back VMs it may not have restored or replayed
   * yet: a VM restored without its replays looks running to the next plan and would never get them. So every
   * recovery after a failed one also rolls back what the failed one rolled back, and a failed recovery is tried
   * again at once, a few times, while hosts are left.
   */
  private Optional<RecoveryEventView> recover(String group, FailureKind kind, String failedRef, Set<String> alsoFailed,
                                              Collection<String> frozen, int retries) {
    Set<String> mustRecover = new TreeSet<>(alsoFailed);
    mustRecover.addAll(leftHalfDone(group));
    for (int attempt = 1; ; attempt++) {
      List<MemberView> members = service.members(group);
      Map<String, HostSnapshot> snapshots = snapshots(group, frozen);
      Set<Integer> running = new HashSet<>();
      for (HostSnapshot s : snapshots.values()) running.addAll(s.running());
      Set<String> failed = new TreeSet<>(mustRecover);
      Set<Integer> failedNumbers = new TreeSet<>();
      for (MemberView m : members) {
        if (!running.contains(m.number()) || mustRecover.contains(m.vmUuid())) {
          failed.add(m.vmUuid());
          failedNumbers.add(m.number());
        }
      }
      if (failed.isEmpty()) return Optional.empty();
      HostFailurePlan plan = service.planRecovery(group, failed,
          new SnapshotSurvivors(snapshots.values(), failedNumbers));
      Optional<RecoveryEventView> claimed;
      try {
        claimed = service.claimRecovery(group, kind, failedRef, plan);
      } catch (ServiceException e) {
        // The survivors' reports go on while the plan is made: the line may move before the claim, which then
        // refuses a plan for the old line. Nothing is claimed yet: plan again from fresh snapshots.
        if (e.reason() != ServiceException.Reason.WRONG_STATE || attempt >= MAX_PLANS) throw e;
        log.info("recovery of {} in group {}: {} (attempt {})", failedRef, group, e.getMessage(), attempt);
        continue;
      }
      if (claimed.isEmpty()) {
        log.info("the recovery of {} in group {} is already claimed", failedRef, group);
        return Optional.empty();
      }
      try {
        return Optional.of(carryOut(claimed.get(), plan, snapshots));
      } catch (RuntimeException e) {
        if (retries <= 0 || e instanceof NoHostCanRunException || hosts.liveHosts().isEmpty()) throw e;
        log.warn("recovering group {} again after its recovery failed: {}", group, e.getMessage());
        return recover(group, kind, failedRef, alsoFailed, frozen, retries - 1);
      }
    }
  }

  /** The VMs the group's newest recovery rolled back if it failed: they must be recovered again. */
  private Set<String> leftHalfDone(String group) {
    List<RecoveryEventView> newest = service.listRecoveryEvents(group, new PageRequest(0, 1)).items();
    if (newest.isEmpty() || newest.get(0).state() != RecoveryState.FAILED) return Set.of();
    return new TreeSet<>(newest.get(0).rolledBack());
  }

  /** How many plans a recovery makes when the line keeps moving under it. */
  private static final int MAX_PLANS = 5;

  /** Takes up the recoveries another manager claimed and did not finish (it crashed): their orders again. */
  public List<RecoveryEventView> resume() {
    List<RecoveryEventView> done = new ArrayList<>();
    for (RecoveryEventView event : service.runningRecoveries()) {
      HostFailurePlan plan = service.claimedPlan(event.uuid());
      Collection<String> frozen = freeze(event.groupUuid());
      try {
        Map<String, HostSnapshot> snapshots = snapshots(event.groupUuid(), frozen);
        Optional<String> gone = restoredWhereNowGone(plan, snapshots.keySet());
        if (gone.isEmpty()) {
          done.add(carryOut(event, plan, snapshots));
        } else {
          log.warn("recovery {} of group {} is not taken up again: {}", event.uuid(), event.groupUuid(), gone.get());
          service.finishRecovery(event.uuid(), false, 0, gone.get());
          recover(event.groupUuid(), event.failureKind(), event.failedRef(), Set.of(), frozen, RETRIES)
              .ifPresent(done::add);
        }
      } finally {
        thaw(event.groupUuid(), frozen);
      }
    }
    return done;
  }

  /**
   * Why a claimed plan cannot be carried out again: a VM it rolls back now belongs to a host that is gone. The dead
   * manager may have restored the VM there, and it may have run; restored again elsewhere under the same
   * incarnation it would be a second execution of it, whose checkpoints and log segments clash with the first
   * one's on stable storage. A new plan (which rolls back whatever this one did) gives it a new incarnation.
   */
  private Optional<String> restoredWhereNowGone(HostFailurePlan plan, Collection<String> live) {
    if (live.isEmpty()) return Optional.empty(); // nowhere to restore anything: carried out, it fails saying so
    Map<Integer, String> now = hostsNow(plan.groupUuid());
    for (VmRestore r : plan.plan().restores()) {
      String host = now.get(r.vm());
      if (host != null && !live.contains(host)) {
        return Optional.of("VM " + r.vm() + " was given to host " + host + ", which is gone since; a new recovery "
            + "rolls it back under a new incarnation");
      }
    }
    return Optional.empty();
  }

  /** Where the service says each VM of the group runs now (a resumed plan may have moved VMs since it was made). */
  private Map<Integer, String> hostsNow(String group) {
    Map<Integer, String> now = new HashMap<>();
    for (MemberView m : service.members(group)) now.put(m.number(), m.hostUuid());
    return now;
  }

  // ---- the orders --------------------------------------------------------------------------------------------

  private RecoveryEventView carryOut(RecoveryEventView event, HostFailurePlan plan,
                                     Map<String, HostSnapshot> snapshots) {
    String group = plan.groupUuid();
    Collection<String> live = snapshots.keySet();
    try {
      Map<Integer, String> hostOf = placement(plan, live);
      Map<String, RestoreStep> steps = new HashMap<>();
      for (RestoreStep step : plan.restores()) steps.put(step.vmUuid(), step);
      // A VM still running on a live host other than where it is restored (a recovery that died half way moved
      // it in the database) stops there first: it never runs on two hosts.
      HostOrders evictions = new HostOrders(pool);
      for (VmRestore r : plan.plan().restores()) {
        snapshots.forEach((h, snapshot) -> {
          if (!h.equals(hostOf.get(r.vm())) && snapshot.running().contains(r.vm())) {
            evictions.add(h, () -> hosts.evict(h, group, r.vm()));
          }
        });
      }
      evictions.run();
      HostOrders restores = new HostOrders(pool);
      // VMs rebuilt past their stable state are rebuilt together, one order per host: one may take again a
      // message another's re-execution makes again.
      Map<String, List<PastLineRestore>> pastLine = new TreeMap<>();
      Map<Message, byte[]> extensionPayloads = new HashMap<>();
      for (VmRestore r : plan.plan().restores()) {
        String target = hostOf.get(r.vm());
        String vmUuid = plan.members().get(r.vm()).vmUuid();
        service.moveVm(vmUuid, target);
        RestoreStep step = steps.get(vmUuid);
        if (r.isExtended()) {
          List<PastLineRestore> rebuilt = pastLine.get(target);
          if (rebuilt == null) {
            pastLine.put(target, rebuilt = new ArrayList<>()); // filled in full before the orders run
            List<PastLineRestore> all = rebuilt;
            restores.add(target, () -> hosts.restorePastLine(target, group, all, extensionPayloads,
                plan.inTransitLocations()));
          }
          rebuilt.add(new PastLineRestore(r, step.checkpointLocation(), step.segmentLocations()));
          extensionPayloads.putAll(extensionPayloads(group, r, target, snapshots));
        } else {
          restores.add(target, () -> hosts.restore(target, group, r, step.checkpointLocation(), step.segmentLocations()));
        }
        for (String h : live) restores.add(h, () -> hosts.rollback(h, group, r.vm(), r.incarnation(), r.sentToAfterRecovery()));
      }
      restores.run();
      long replayed = 0;
      HostOrders replays = new HostOrders(pool);
      for (VmRestore r : plan.plan().restores()) {
        String target = hostOf.get(r.vm());
        replays.add(target, () -> hosts.replay(target, group, r.vm(), r.replays(), payloadsFor(group, r, target, snapshots),
            plan.inTransitLocations()));
        replayed += r.replays().size();
      }
      replays.run();
      // Only now may frames reach the restored VMs where they run: their replays are in.
      HostOrders placements = new HostOrders(pool);
      for (VmRestore r : plan.plan().restores()) {
        for (String h : live) placements.add(h, () -> announcePlacement(h, group, r.vm(), hostOf.get(r.vm())));
      }
      placements.run();
      return service.finishRecovery(event.uuid(), true, replayed,
          "rolled back " + plan.rolledBackVmUuids().size() + " VM(s), none behind line " + plan.plan().lineIndex());
    } catch (RuntimeException e) {
      log.error("recovery {} of group {} failed: {}", event.uuid(), group, e.getMessage());
      service.finishRecovery(event.uuid(), false, 0, e.getMessage() == null ? e.toString() : e.getMessage());
      throw e;
    }
  }

  /** A host that cannot be told now learns the placement when it rejoins; the others resend to the VM. */
  private void announcePlacement(String host, String group, int vm, String vmHost) {
    try {
      hosts.placement(host, group, vm, vmHost);
    } catch (HostUnreachableException e) {
      log.warn("{}: it does not learn where VM {} of group {} runs now", e.getMessage(), vm, group);
    }
  }

  /**
   * Where each rolled-back VM runs: on its host if that host is live, else on the least loaded live host that can run
   * it (see {@link HostChannel#canRun}). Its host is the one the service names now, not when the plan was made: a
   * plan taken up again after its manager stopped (see {@link #resume}) has already moved VMs, restored them there,
   * and they may have run since; restored again somewhere else under the same incarnation they would be a second
   * execution of it.
   */
  private Map<Integer, String> placement(HostFailurePlan plan, Collection<String> live) {
    Map<Integer, String> now = hostsNow(plan.groupUuid());
    Map<String, Integer> load = new TreeMap<>();
    for (String h : live) load.put(h, 0);
    Set<Integer> moving = new HashSet<>();
    for (VmRestore r : plan.plan().restores()) moving.add(r.vm());
    for (MemberView m : plan.members()) {
      String host = now.getOrDefault(m.number(), m.hostUuid());
      if (!moving.contains(m.number()) && load.containsKey(host)) load.merge(host, 1, Integer::sum);
    }
    Map<Integer, String> hostOf = new LinkedHashMap<>();
    for (VmRestore r : plan.plan().restores()) {
      String current = now.getOrDefault(r.vm(), plan.members().get(r.vm()).hostUuid());
      if (live.contains(current)) {
        hostOf.put(r.vm(), current);
        load.merge(current, 1, Integer::sum);
      }
    }
    placeTogether(plan, load, hostOf);
    for (VmRestore r : plan.plan().restores()) {
      if (hostOf.containsKey(r.vm())) continue;
      String vmUuid = plan.members().get(r.vm()).vmUuid();
      String best = null;
      for (Map.Entry<String, Integer> e : load.entrySet()) {
        if (!hosts.canRun(e.getKey(), vmUuid)) continue;
        if (best == null || e.getValue() < load.get(best)) best = e.getKey();
      }
      if (best == null) {
        throw new NoHostCanRunException("no live host can run VM " + r.vm() + " (" + vmUuid + "): "
            + (load.isEmpty() ? "none is left" : "none of " + load.keySet() + " can run it (not in its cluster)"));
      }
      hostOf.put(r.vm(), best);
      load.merge(best, 1, Integer::sum);
    }
    return hostOf;
  }

  /**
   * Places the VMs rebuilt past their stable state on one host, the least loaded that can run them all (or where
   * a resumed plan already put one of them): their re-executions may make messages for each other again, so they
   * are rebuilt side by side.
   */
  private void placeTogether(HostFailurePlan plan, Map<String, Integer> load, Map<Integer, String> hostOf) {
    List<VmRestore> unplaced = new ArrayList<>();
    String together = null;
    for (VmRestore r : plan.plan().restores()) {
      if (!r.isExtended()) continue;
      if (hostOf.containsKey(r.vm())) together = hostOf.get(r.vm()); else unplaced.add(r);
    }
    if (unplaced.isEmpty()) return;
    if (together == null) {
      for (Map.Entry<String, Integer> e : load.entrySet()) {
        boolean runsAll = unplaced.stream().allMatch(r -> hosts.canRun(e.getKey(), plan.members().get(r.vm()).vmUuid()));
        if (runsAll && (together == null || e.getValue() < load.get(together))) together = e.getKey();
      }
    }
    if (together == null) {
      throw new NoHostCanRunException("no live host can run all of VMs " + unplaced.stream().map(VmRestore::vm).toList()
          + ", which are rebuilt together past their stable state; live: " + load.keySet());
    }
    for (VmRestore r : unplaced) {
      hostOf.put(r.vm(), together);
      load.merge(together, 1, Integer::sum);
    }
  }

  /** The payloads of the receipts an extended VM takes again that surviving hosts other than its target keep. */
  private Map<Message, byte[]> extensionPayloads(String group, VmRestore r, String target,
                                                 Map<String, HostSnapshot> snapshots) {
    List<Message> wanted = new ArrayList<>();
    for (LogEntry e : r.extension()) wanted.add(e.message());
    return fromSurvivors(group, r.vm(), wanted, target, snapshots);
  }

  /** The payloads of a restored VM's replays from the senders' copies, from the hosts that keep them. */
  private Map<Message, byte[]> payloadsFor(String group, VmRestore r, String target,
                                           Map<String, HostSnapshot> snapshots) {
    List<Message> wanted = new ArrayList<>();
    for (Replay replay : r.replays()) {
      if (replay.source() == ReplaySource.SENDER_COPY) {
        wanted.add(replay.message());
      }
    }
    return fromSurvivors(group, r.vm(), wanted, target, snapshots);
  }

  /**
   * The payloads of {@code wanted}, messages to {@code vm}, from the senders' copies on the surviving hosts other
   * than {@code target} (which reads its own). A later incarnation of the sender may have made the same send again
   * (causal logging): its copy has the same bytes. What no survivor holds stays out: the target has it in its
   * logs, or the sender's re-execution makes it again.
   */
  private Map<Message, byte[]> fromSurvivors(String group, int vm, List<Message> wanted, String target,
                                             Map<String, HostSnapshot> snapshots) {
    Map<SendKey, Message> missing = new HashMap<>();
    for (Message m : wanted) missing.put(new SendKey(m.from(), m.seq()), m);
    Map<Message, byte[]> out = new HashMap<>();
    snapshots.forEach((h, snapshot) -> {
      if (h.equals(target) || missing.isEmpty()) return;
      Map<Message, Message> asHeld = new HashMap<>();
      for (SenderCopy c : snapshot.copies().getOrDefault(vm, List.of())) match(missing, c.message(), asHeld);
      if (asHeld.isEmpty()) return;
      hosts.payloads(h, group, new ArrayList<>(asHeld.keySet())).forEach((held, payload) -> {
        Message m = asHeld.get(held);
        out.put(m, payload);
        missing.remove(new SendKey(m.from(), m.seq()));
      });
    });
    return out;
  }

  private record SendKey(int from, long seq) {}

  private static void match(Map<SendKey, Message> missing, Message held, Map<Message, Message> asHeld) {
    Message m = missing.get(new SendKey(held.from(), held.seq()));
    if (m != null && m.isSameSend(held)) asHeld.put(held, m);
  }

  /**
   * What each host the recovery froze holds of the group. Only those: a host that registered after the freeze
   * does not hold the group still, and a VM restored there would run before the recovery ends.
   */
  private Map<String, HostSnapshot> snapshots(String group, Collection<String> frozen) {
    Map<String, HostSnapshot> out = new TreeMap<>();
    Set<String> live = new HashSet<>(hosts.liveHosts());
    for (String h : frozen) {
      if (!live.contains(h)) continue; // failed since the freeze
      try {
        out.put(h, hosts.snapshot(h, group));
      } catch (HostUnreachableException e) {
        log.warn("{}: counted as failed", e.getMessage());
        hosts.fence(h);
      }
    }
    return out;
  }
}
