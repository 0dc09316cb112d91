package org.vmqsc.server.catalog;

import org.vmqsc.server.service.LoggedMessageReport;
import org.vmqsc.server.service.BoundaryReport;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.vmqsc.protocol.BoundaryRecord;
import org.vmqsc.protocol.GroupConfig;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.Message;
import org.vmqsc.protocol.VmClass;
import org.vmqsc.protocol.host.HostAction;
import org.vmqsc.protocol.host.HostRules;
import org.vmqsc.protocol.host.SenderCopy;
import org.vmqsc.protocol.manager.LineKeeper;
import org.vmqsc.protocol.recovery.Survivors;

/**
 * A group run by the protocol's own host rules on simulated hosts, with random VM-to-VM traffic and messages that
 * sometimes stay on the wire across boundaries. It produces the reports hosts would send the manager, and feeds
 * the same facts to a reference {@link LineKeeper}, the protocol's answer the catalog must match.
 */
final class SimulatedGroup {

  /** A report for the catalog: a boundary report or a logged late message, with the group and host it is from. */
  sealed interface Report permits Boundary, Logged {
    SimulatedGroup group();

    String hostUuid();
  }

  record Boundary(SimulatedGroup group, String hostUuid, BoundaryReport report) implements Report {}

  record Logged(SimulatedGroup group, String hostUuid, LoggedMessageReport report) implements Report {}

  /** The catalog's uuid of this group, once registered ({@link Feeding#register}). */
  String groupUuid;

  final GroupConfig config;
  final String prefix;
  final LineKeeper reference;
  private final HostRules[] hosts;
  private final int[] hostOf;
  private final Random random;
  private final long[] position;
  private final Map<Integer, ArrayDeque<Message>> wire = new HashMap<>();
  private final List<Report> reports = new ArrayList<>();
  /** Stable log segments' entries, by VM and index, as a restore reads them. */
  private final Map<Long, List<LogEntry>> segmentEntries = new HashMap<>();
  /** The stable log of late messages, by receiver, as the planner reads it. */
  final Map<Integer, List<LogEntry>> stableInTransit = new HashMap<>();
  private long index;

  SimulatedGroup(String prefix, List<VmClass> classes, int hostCount, long seed) {
    this.prefix = prefix;
    this.config = new GroupConfig(1000, classes);
    this.reference = new LineKeeper(config);
    this.hosts = new HostRules[hostCount];
    this.hostOf = new int[classes.size()];
    this.position = new long[classes.size()];
    this.random = new Random(seed);
    for (int h = 0; h < hostCount; h++) hosts[h] = new HostRules(config);
    for (int vm = 0; vm < classes.size(); vm++) {
      hostOf[vm] = vm % hostCount;
      apply(List.of(hosts[hostOf[vm]].start(vm)));
    }
  }

  String vmUuid(int vm) {
    return prefix + "-vm-" + vm;
  }

  String hostUuid(int host) {
    return prefix + "-host-" + host;
  }

  int hostOf(int vm) {
    return hostOf[vm];
  }

  int size() {
    return config.size();
  }

  /** Runs one base interval: traffic, deliveries (some left on the wire), then the boundary on every VM. */
  List<Report> runInterval(int messages) {
    int before = reports.size();
    for (int i = 0; i < messages; i++) {
      int from = random.nextInt(size());
      int to = random.nextInt(size() - 1);
      if (to >= from) to++;
      Optional<Message> m = hosts[hostOf[from]].stamp(from, to, 100 + random.nextInt(900), random.nextLong(),
          ++position[from]);
      m.ifPresent(msg -> wire.computeIfAbsent(msg.from() * size() + msg.to(), k -> new ArrayDeque<>()).add(msg));
      if (random.nextInt(3) > 0) deliverSome();
    }
    deliverSome();
    index++;
    for (int vm = 0; vm < size(); vm++) {
      apply(hosts[hostOf[vm]].onBoundary(vm, index, ++position[vm]));
    }
    return List.copyOf(reports.subList(before, reports.size()));
  }

  /** Delivers what is left on the wire. */
  List<Report> drain() {
    int before = reports.size();
    for (ArrayDeque<Message> channel : wire.values()) {
      while (!channel.isEmpty()) deliver(channel.poll());
    }
    return List.copyOf(reports.subList(before, reports.size()));
  }

  List<Report> all() {
    return List.copyOf(reports);
  }

  /** What the surviving hosts would tell the planner if {@code failedHost} went down now. */
  Survivors survivorsWithout(int failedHost) {
    return new Survivors() {
      @Override public Set<Integer> vms() {
        Set<Integer> up = new java.util.TreeSet<>();
        for (int vm = 0; vm < size(); vm++) if (hostOf[vm] != failedHost) up.add(vm);
        return up;
      }

      @Override public long[] receivedFrom(int vm) {
        return hosts[hostOf[vm]].receivedFrom(vm);
      }

      @Override public List<LogEntry> receiveLog(int vm) {
        return hosts[hostOf[vm]].receiveLog(vm);
      }

      @Override public List<SenderCopy> copiesTo(int vm) {
        List<SenderCopy> copies = new ArrayList<>();
        for (int h = 0; h < hosts.length; h++) if (h != failedHost) copies.addAll(hosts[h].copiesTo(vm));
        return copies;
      }
    };
  }

  /**
   * {@code failedHost} fails: its memory is gone. The protocol's plan (from the reference keeper) is carried out
   * the way a manager would: the rolled-back VMs restart from the line on a surviving host under their next
   * incarnation, every host learns of the rollback, the restored VMs catch up to the current index, and the
   * replays are delivered. Returns the reports this produced and the plan.
   */
  List<Report> failHostAndRecover(int failedHost, int targetHost) {
    int before = reports.size();
    java.util.Set<Integer> failed = new java.util.TreeSet<>();
    for (int vm = 0; vm < size(); vm++) if (hostOf[vm] == failedHost) failed.add(vm);
    org.vmqsc.protocol.recovery.RecoveryPlan plan = org.vmqsc.protocol.recovery.RecoveryPlanner.planHostFailure(
        config, reference, failed, survivorsWithout(failedHost), stableInTransit);
    hosts[failedHost] = new HostRules(config); // repaired, empty
    for (org.vmqsc.protocol.recovery.VmRestore r : plan.restores()) {
      int vm = r.vm();
      int target = hostOf[vm] == failedHost ? targetHost : hostOf[vm];
      List<LogEntry> entries = new ArrayList<>();
      for (BoundaryRecord segment : r.segments()) {
        entries.addAll(segmentEntries.get(segment.vm() * 1_000_000L + segment.index()));
      }
      if (target != hostOf[vm] && hosts[hostOf[vm]].runs(vm)) hosts[hostOf[vm]].evict(vm);
      hosts[target].restoreToLine(vm, r.incarnation(), r.checkpoint(), entries, r.lineState());
      hostOf[vm] = target;
      position[vm] = r.lineState().position();
      reference.rollback(vm, r.incarnation());
      for (HostRules h : hosts) h.onRollback(vm, r.incarnation(), r.lineState().sentTo());
    }
    for (org.vmqsc.protocol.recovery.VmRestore r : plan.restores()) {
      apply(hosts[hostOf[r.vm()]].onBoundary(r.vm(), index, ++position[r.vm()]));
    }
    for (org.vmqsc.protocol.recovery.VmRestore r : plan.restores()) {
      for (org.vmqsc.protocol.recovery.Replay replay : r.replays()) deliver(replay.message());
    }
    lastPlan = plan;
    return List.copyOf(reports.subList(before, reports.size()));
  }

  org.vmqsc.protocol.recovery.RecoveryPlan lastPlan;

  private void deliverSome() {
    for (ArrayDeque<Message> channel : wire.values()) {
      // Leave about a third on the wire for now: they become late messages when a boundary passes them.
      while (!channel.isEmpty() && random.nextInt(3) > 0) deliver(channel.poll());
    }
  }

  private void deliver(Message m) {
    int to = m.to();
    apply(hosts[hostOf[to]].onArrival(m, ++position[to]));
  }

  private void apply(List<? extends HostAction> actions) {
    for (HostAction action : actions) {
      if (action instanceof HostAction.Acknowledge ack) {
        for (LogEntry e : ack.entries()) hosts[hostOf[e.message().from()]].onAcknowledge(e);
      } else if (action instanceof HostAction.TakeCheckpoint take) {
        hosts[hostOf[take.record().vm()]].checkpointStaged(take.record());
        boundary(take.record());
      } else if (action instanceof HostAction.WriteLogSegment segment) {
        segmentEntries.put(segment.record().vm() * 1_000_000L + segment.record().index(), segment.entries());
        boundary(segment.record());
      } else if (action instanceof HostAction.WriteInTransit write) {
        LogEntry e = write.entry();
        Message m = e.message();
        reports.add(new Logged(this, hostUuid(hostOf[m.to()]), new LoggedMessageReport(vmUuid(m.from()), vmUuid(m.to()), m.seq(), m.csn(),
            m.incarnation(), m.size(), m.digest(), e.rsn(), e.position(), e.receiverIndex(), e.incarnation(),
            "stable://" + prefix + "/in-transit/" + m.from() + "-" + m.to() + "-" + m.seq())));
        reference.markInTransitLogged(m);
        stableInTransit.computeIfAbsent(m.to(), k -> new ArrayList<>()).add(e);
      }
    }
  }

  /** A checkpoint or segment is reported staged, then stable. */
  private void boundary(BoundaryRecord r) {
    String name = (r.isCheckpoint() ? "ckpt-" : "seg-") + r.vm() + "-" + r.index();
    BoundaryReport staged = new BoundaryReport(vmUuid(r.vm()), r.kind(), r.index(), r.incarnation(), r.forced(),
        false, 1000 + r.index(), "host://" + prefix + "/" + name, "sha256:" + name, r.position(), r.received(),
        r.sentTo(), r.receivedFrom());
    String host = hostUuid(hostOf[r.vm()]);
    reports.add(new Boundary(this, host, staged));
    reports.add(new Boundary(this, host, staged.asStable("stable://" + prefix + "/" + name)));
    reference.record(r);
    reference.markStable(r.vm(), r.index(), r.incarnation());
  }
}
