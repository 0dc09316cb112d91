package org.vmqsc.server.catalog;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.vmqsc.agent.log.LoggedMessage;
import org.vmqsc.agent.log.MemoryMessageStore;
import org.vmqsc.agent.log.MessageLog;
import org.vmqsc.agent.node.Guests;
import org.vmqsc.agent.node.HostClock;
import org.vmqsc.agent.node.HostNode;
import org.vmqsc.agent.node.LogWriter;
import org.vmqsc.agent.node.ManagerLink;
import org.vmqsc.agent.node.NodeReport;
import org.vmqsc.agent.node.Relay;
import org.vmqsc.protocol.BoundaryRecord;
import org.vmqsc.protocol.GroupConfig;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.Message;
import org.vmqsc.protocol.VmClass;
import org.vmqsc.protocol.host.HostAction.DropReason;
import org.vmqsc.protocol.manager.LineKeeper;
import org.vmqsc.protocol.recovery.HostSnapshot;
import org.vmqsc.protocol.recovery.RecoveryPlan;
import org.vmqsc.protocol.recovery.RecoveryPlanner;
import org.vmqsc.protocol.recovery.Replay;
import org.vmqsc.protocol.recovery.SnapshotSurvivors;
import org.vmqsc.protocol.recovery.Survivors;
import org.vmqsc.protocol.recovery.VmRestore;
import org.vmqsc.server.service.BoundaryReport;
import org.vmqsc.server.service.LoggedMessageReport;

/**
 * A group run by the host runtime ({@link HostNode}, one per simulated host) with random VM-to-VM traffic and
 * messages that sometimes stay on the wire across boundaries. Its in-memory adapters finish every checkpoint and
 * log write at once, staged then stable; the nodes' reports become the reports hosts send the manager, and the
 * same facts go to a reference {@link LineKeeper}, the protocol's answer the catalog must match.
 */
final class SimulatedGroup {

  /** A report for the catalog: a boundary report or a logged late message, with the group and host it is from. */
  sealed interface Report permits Boundary, Logged {
    SimulatedGroup group();

    String hostUuid();
  }

  record Boundary(SimulatedGroup group, String hostUuid, BoundaryReport report) implements Report {}

  record Logged(SimulatedGroup group, String hostUuid, LoggedMessageReport report) implements Report {}

  /** A frame on the wire. */
  private record Frame(Message message, byte[] payload) {}

  /** The catalog's uuid of this group, once registered ({@link Feeding#register}). */
  String groupUuid;

  final GroupConfig config;
  final String prefix;
  final LineKeeper reference;
  /** The stable log of late messages, by receiver, as the planner reads it. */
  final Map<Integer, List<LogEntry>> stableInTransit = new HashMap<>();
  RecoveryPlan lastPlan;

  private final Host[] hosts;
  private final int[] hostOf;
  private final Random random;
  private final long[] position;
  private final Map<Integer, ArrayDeque<Frame>> wire = new LinkedHashMap<>();
  private final List<Report> reports = new ArrayList<>();
  /** Stable storage of the message log, shared by the hosts (it survives them). */
  private final MemoryMessageStore stable = new MemoryMessageStore();
  /** Where each log segment (vm/index/incarnation) and each late message lies on stable storage. */
  private final Map<String, String> segmentLocations = new HashMap<>();
  private final Map<Message, String> inTransitLocations = new HashMap<>();
  private long index;

  SimulatedGroup(String prefix, List<VmClass> classes, int hostCount, long seed) {
    this.prefix = prefix;
    this.config = new GroupConfig(1000, classes);
    this.reference = new LineKeeper(config);
    this.hosts = new Host[hostCount];
    this.hostOf = new int[classes.size()];
    this.position = new long[classes.size()];
    this.random = new Random(seed);
    for (int h = 0; h < hostCount; h++) hosts[h] = new Host(h);
    for (int vm = 0; vm < classes.size(); vm++) {
      hostOf[vm] = vm % hostCount;
      hosts[hostOf[vm]].node.start(vm);
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

  /** Runs one base interval: traffic, deliveries (some left on the wire), then the boundary on every host. */
  List<Report> runInterval(int messages) {
    int before = reports.size();
    for (int i = 0; i < messages; i++) {
      int from = random.nextInt(size());
      int to = random.nextInt(size() - 1);
      if (to >= from) to++;
      byte[] payload = new byte[100 + random.nextInt(900)];
      long digest = random.nextLong();
      position[from]++;
      hosts[hostOf[from]].node.send(from, to, payload, digest);
      if (random.nextInt(3) > 0) deliverSome();
    }
    deliverSome();
    index++;
    for (Host h : hosts) {
      for (int vm : h.node.vms()) position[vm]++;
      h.node.onBoundary(index);
    }
    return List.copyOf(reports.subList(before, reports.size()));
  }

  /** Delivers what is left on the wire. */
  List<Report> drain() {
    int before = reports.size();
    for (ArrayDeque<Frame> channel : wire.values()) {
      while (!channel.isEmpty()) deliver(channel.poll());
    }
    return List.copyOf(reports.subList(before, reports.size()));
  }

  List<Report> all() {
    return List.copyOf(reports);
  }

  /** What the surviving hosts would tell the planner if {@code failedHost} went down now: their snapshots. */
  Survivors survivorsWithout(int failedHost) {
    List<HostSnapshot> snapshots = new ArrayList<>();
    for (Host h : hosts) if (h.id != failedHost) snapshots.add(h.node.snapshot());
    return new SnapshotSurvivors(snapshots, vmsOn(failedHost));
  }

  /**
   * {@code failedHost} fails: its memory is gone and it comes back empty. The protocol's plan (from the reference
   * keeper) is carried out the way a manager orders it: each rolled-back VM, under its next incarnation, is
   * restored to the line on its host if that survived and on {@code targetHost} otherwise, every host learns of
   * the rollback, and the replays are delivered. Returns the reports this produced.
   */
  List<Report> failHostAndRecover(int failedHost, int targetHost) {
    int before = reports.size();
    RecoveryPlan plan = RecoveryPlanner.planHostFailure(config, reference, vmsOn(failedHost),
        survivorsWithout(failedHost), stableInTransit);
    hosts[failedHost] = new Host(failedHost); // repaired, empty
    for (VmRestore r : plan.restores()) {
      int vm = r.vm();
      int target = hostOf[vm] == failedHost ? targetHost : hostOf[vm];
      reference.rollback(vm, r.incarnation(), r.lineState().index()); // the manager claims the recovery before it orders the hosts
      if (target != hostOf[vm] && hosts[hostOf[vm]].node.runs(vm)) hosts[hostOf[vm]].node.evict(vm);
      hostOf[vm] = target;
      List<String> segments = new ArrayList<>();
      for (BoundaryRecord s : r.segments()) segments.add(segmentLocations.get(key(s)));
      hosts[target].node.restoreToLine(r, "stable://" + prefix + "/" + name(r.checkpoint()), segments);
      for (Host h : hosts) h.node.onRollback(vm, r.incarnation(), r.lineState().sentTo());
    }
    for (VmRestore r : plan.restores()) {
      List<Message> messages = r.replays().stream().map(Replay::message).toList();
      Map<Message, byte[]> payloads = new HashMap<>();
      for (Host h : hosts) payloads.putAll(h.node.payloads(messages));
      for (Replay replay : r.replays()) {
        position[r.vm()]++;
        hosts[hostOf[r.vm()]].node.replay(r.vm(), List.of(replay), payloads, inTransitLocations);
      }
    }
    lastPlan = plan;
    return List.copyOf(reports.subList(before, reports.size()));
  }

  private Set<Integer> vmsOn(int host) {
    Set<Integer> vms = new TreeSet<>();
    for (int vm = 0; vm < size(); vm++) if (hostOf[vm] == host) vms.add(vm);
    return vms;
  }

  private void deliverSome() {
    for (ArrayDeque<Frame> channel : wire.values()) {
      // Leave about a third on the wire for now: they become late messages when a boundary passes them.
      while (!channel.isEmpty() && random.nextInt(3) > 0) deliver(channel.poll());
    }
  }

  private void deliver(Frame f) {
    int to = f.message().to();
    position[to]++;
    hosts[hostOf[to]].node.onArrival(f.message(), f.payload());
  }

  private static String key(BoundaryRecord r) {
    return r.vm() + "/" + r.index() + "/" + r.incarnation();
  }

  private static String name(BoundaryRecord r) {
    return (r.isCheckpoint() ? "ckpt-" : "seg-") + r.vm() + "-" + r.index() + "-" + r.incarnation();
  }

  /**
   * One simulated host: a {@link HostNode} and the in-memory adapters of its ports. Checkpoints and log writes
   * finish at once; acknowledgements reach the senders' hosts at once; frames wait on the wire.
   */
  private final class Host implements Relay, Guests, LogWriter, ManagerLink, HostClock {
    final int id;
    final HostNode node;

    Host(int id) {
      this.id = id;
      this.node = new HostNode(hostUuid(id), prefix, config, new MessageLog(stable), this, this, this, this, this);
    }

    // Relay

    @Override public void transmit(Message m, byte[] payload) {
      wire.computeIfAbsent(m.from() * size() + m.to(), k -> new ArrayDeque<>()).add(new Frame(m, payload));
    }

    @Override public void acknowledge(List<LogEntry> batch) {
      Map<Host, List<LogEntry>> bySender = new LinkedHashMap<>();
      for (LogEntry e : batch) bySender.computeIfAbsent(hosts[hostOf[e.message().from()]], k -> new ArrayList<>()).add(e);
      bySender.forEach((sender, share) -> sender.node.onAcknowledgements(share));
    }

    @Override public void dropped(Message m, DropReason reason) {
      // A duplicate or a stale frame: nothing reaches the guest.
    }

    // Guests

    @Override public boolean running(int vm) {
      return hostOf[vm] == id && hosts[id] == this;
    }

    @Override public long position(int vm) {
      return position[vm];
    }

    @Override public void deliver(LogEntry entry, byte[] payload, Replay replay) {
      // The guest takes the message; its position is the world's.
    }

    @Override public void checkpoint(BoundaryRecord r) {
      String name = name(r);
      long size = 1000 + r.index();
      node.onCheckpointStaged(r, "host://" + prefix + "/" + name, size, "sha256:" + name);
      node.onCheckpointStable(r, "stable://" + prefix + "/" + name, size, "sha256:" + name);
    }

    @Override public void rebuild(int vm, BoundaryRecord checkpoint, String location, List<LoggedMessage> replay,
                                  long until) {
      position[vm] = until;
    }

    @Override public void stop(int vm) {}

    // LogWriter

    @Override public void write(LogWrite w) {
      try {
        if (w instanceof LogWrite.Segment s) {
          String location = stable.writeSegment(prefix, s.record(), s.entries());
          segmentLocations.put(key(s.record()), location);
          node.onLogStable(w, location);
        } else if (w instanceof LogWrite.InTransit t) {
          String location = stable.writeInTransit(prefix, t.message());
          inTransitLocations.put(t.message().entry().message(), location);
          node.onLogStable(w, location);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    // ManagerLink: the reports as the catalog takes them, and the same facts for the reference keeper

    @Override public void report(String groupId, List<NodeReport> batch) {
      String host = hostUuid(id);
      for (NodeReport r : batch) {
        if (r instanceof NodeReport.Boundary b) {
          BoundaryRecord c = b.record();
          reports.add(new Boundary(SimulatedGroup.this, host, new BoundaryReport(vmUuid(c.vm()), c.kind(), c.index(),
              c.incarnation(), c.forced(), b.stable(), b.sizeBytes(), b.location(), b.contentDigest(), c.position(),
              c.received(), c.sentTo(), c.receivedFrom())));
          reference.record(c);
          if (b.stable()) reference.markStable(c.vm(), c.index(), c.incarnation());
        } else if (r instanceof NodeReport.InTransit t) {
          LogEntry e = t.entry();
          Message m = e.message();
          reports.add(new Logged(SimulatedGroup.this, host, new LoggedMessageReport(vmUuid(m.from()), vmUuid(m.to()),
              m.seq(), m.index(), m.incarnation(), m.size(), m.digest(), e.rsn(), e.position(), e.receiverIndex(),
              e.incarnation(), t.location())));
          reference.markInTransitLogged(m);
          stableInTransit.computeIfAbsent(m.to(), k -> new ArrayList<>()).add(e);
        }
      }
    }

    // HostClock

    @Override public long index() {
      return index;
    }
  }
}
