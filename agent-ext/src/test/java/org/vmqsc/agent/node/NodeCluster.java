package org.vmqsc.agent.node;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import org.vmqsc.agent.log.LoggedMessage;
import org.vmqsc.agent.log.MemoryMessageStore;
import org.vmqsc.agent.log.MessageLog;
import org.vmqsc.agent.node.LogWriter.LogWrite;
import org.vmqsc.protocol.BoundaryRecord;
import org.vmqsc.protocol.GroupConfig;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.Message;
import org.vmqsc.protocol.VmClass;
import org.vmqsc.protocol.host.HostAction.DropReason;
import org.vmqsc.protocol.manager.LineKeeper;
import org.vmqsc.protocol.recovery.HostSnapshot;
import org.vmqsc.protocol.recovery.Replay;
import org.vmqsc.protocol.recovery.SnapshotSurvivors;
import org.vmqsc.protocol.recovery.Survivors;

/**
 * A hand-driven group for the runtime tests: named hosts, each a {@link HostNode} with recording adapters of its
 * ports, and a manager side that takes the nodes' reports into the protocol's {@link LineKeeper}. Checkpoints and
 * log writes finish when the test says so ({@link #stageCheckpoints}, {@link #flushAll}), so a test can hold one
 * back. Every effect the nodes have on their ports is recorded, in order, for assertions.
 */
final class NodeCluster {

  /** What a node did through its ports. */
  sealed interface Effect {}

  /** The guest was snapshotted (live); the checkpoint finishes later. */
  record Checkpointed(BoundaryRecord record) implements Effect {}

  /** A sealed log segment went to the writer. */
  record SegmentWritten(BoundaryRecord record, List<LogEntry> entries) implements Effect {}

  /** A late message went to the writer. */
  record InTransitWritten(LogEntry entry) implements Effect {}

  /** A message was handed to its guest ({@code replay} null when live). */
  record Delivered(LogEntry entry, Replay replay) implements Effect {}

  /** An acknowledgement batch left the receivers' host. */
  record Acknowledged(List<LogEntry> entries) implements Effect {}

  /** A frame was thrown away. */
  record Dropped(Message message, DropReason reason) implements Effect {}

  /** A guest was rebuilt: restored from {@code checkpoint}, given {@code replay}, run to {@code until}. */
  record Rebuilt(int vm, BoundaryRecord checkpoint, String location, List<LogEntry> replay, long until)
      implements Effect {}

  /** A checkpoint or log write not finished yet. */
  private record Pending(Host host, BoundaryRecord checkpoint, LogWrite write) {
    BoundaryRecord record() {
      if (checkpoint != null) return checkpoint;
      return write instanceof LogWrite.Segment s ? s.record() : null;
    }
  }

  final GroupConfig config;
  final LineKeeper keeper;
  /** The stable log of late messages the manager learned of, by receiver, as the planner reads it. */
  final Map<Integer, List<LogEntry>> stableInTransit = new HashMap<>();
  /** Every effect so far, in order. */
  final List<Effect> effects = new ArrayList<>();
  /** Each guest's position; a send moves its sender's on, a test may set one. */
  final long[] position;

  private final Host[] hosts;
  private final int[] hostOf;
  private final MemoryMessageStore stable = new MemoryMessageStore();
  private final Map<Message, byte[]> wire = new HashMap<>();
  /** How often each message was put on the wire (a resend from a copy counts again). */
  final Map<Message, Integer> transmissions = new HashMap<>();
  private final List<Pending> pending = new ArrayList<>();
  private final Set<BoundaryRecord> staged = new HashSet<>();

  NodeCluster(GroupConfig config, int[] placement, int hostCount) {
    this.config = config;
    this.keeper = new LineKeeper(config);
    this.position = new long[config.size()];
    this.hostOf = placement.clone();
    this.hosts = new Host[hostCount];
    for (int h = 0; h < hostCount; h++) hosts[h] = new Host("host-" + h);
    for (int vm = 0; vm < placement.length; vm++) hosts[placement[vm]].node.start(vm);
    flushAll(); // the boot checkpoints are on stable storage before the group starts
    keeper.advance();
  }

  static NodeCluster of(List<VmClass> classes, int[] placement, int hosts) {
    return new NodeCluster(new GroupConfig(1000, classes), placement, hosts);
  }

  /** The node of host {@code h}. */
  HostNode host(int h) {
    return hosts[h].node;
  }

  /** The node that runs {@code vm}. */
  HostNode node(int vm) {
    return hosts[hostOf[vm]].node;
  }

  // ---- driving the nodes -------------------------------------------------------------------------------------

  /** Host {@code h}'s clock passes base boundary {@code index}, for every VM it runs. */
  List<Effect> boundary(int h, long index) {
    return recording(() -> {
      hosts[h].index = index;
      hosts[h].node.onBoundary(index);
    });
  }

  /** Every host's clock passes {@code index}. */
  List<Effect> boundaryAll(long index) {
    List<Effect> out = new ArrayList<>();
    for (int h = 0; h < hosts.length; h++) out.addAll(boundary(h, index));
    return out;
  }

  /** The guest sends one message at its next position; it stays on the wire until {@link #deliver}. */
  Message send(int from, int to) {
    position[from]++;
    return sendAt(from, to, position[from]).orElseThrow();
  }

  /** The guest sends at {@code at}; empty when the node recognises a send made before (a rebuilt guest). */
  Optional<Message> sendAt(int from, int to, long at) {
    position[from] = at;
    long digest = 31L * from + to + at;
    return node(from).send(from, to, new byte[100], digest);
  }

  /** The message reaches its receiver's host (again, if it did before). */
  List<Effect> deliver(Message m) {
    byte[] payload = wire.get(m);
    if (payload == null) throw new IllegalArgumentException(m + " was never sent");
    return recording(() -> node(m.to()).onArrival(m, payload));
  }

  /**
   * {@code vm} migrates live from its host to host {@code to}, in the manager's order: emigrate, immigrate, then
   * every host in {@code told} learns the placement.
   */
  List<Effect> migrate(int vm, int to, int... told) {
    return recording(() -> {
      VmMigration m = node(vm).emigrate(vm, hosts[to].id);
      hosts[to].node.immigrate(m);
      for (int h : told) hosts[h].node.onPlacement(vm);
    });
  }

  /** The message reaches host {@code h}, wherever its receiver runs now. */
  List<Effect> deliverAt(int h, Message m) {
    byte[] payload = wire.get(m);
    if (payload == null) throw new IllegalArgumentException(m + " was never sent");
    return recording(() -> hosts[h].node.onArrival(m, payload));
  }

  /** {@code vm} fails and its host survives: the node rebuilds it from its staged checkpoint and its log. */
  Rebuilt failVm(int vm) {
    List<Effect> out = recording(() -> node(vm).onVmFailure(vm));
    return only(out, Rebuilt.class).get(0);
  }

  // ---- completions -------------------------------------------------------------------------------------------

  /** Every checkpoint taken so far is written on its host (and reported staged). */
  void stageCheckpoints() {
    for (Pending p : List.copyOf(pending)) if (p.checkpoint() != null) stage(p);
  }

  /** Every checkpoint and log write so far finishes: staged on its host, then on stable storage. */
  void flushAll() {
    flush(p -> true);
  }

  /** Every checkpoint so far finishes; log writes stay in progress. */
  void flushCheckpoints() {
    flush(p -> p.checkpoint() != null);
  }

  /** Every log write so far finishes; checkpoints stay in progress. */
  void flushLogs() {
    flush(p -> p.write() != null);
  }

  /** Everything so far finishes but {@code vm}'s checkpoint or segment at {@code index}. */
  void flushAllBut(int vm, long index) {
    flush(p -> p.record() == null || p.record().vm() != vm || p.record().index() != index);
  }

  private void flush(Predicate<Pending> which) {
    for (Pending p : List.copyOf(pending)) {
      if (!which.test(p)) continue;
      pending.remove(p);
      if (p.checkpoint() != null) {
        stage(p);
        p.host().node.onCheckpointStable(p.checkpoint(), location("stable", p.checkpoint()), 64, digest(p.checkpoint()));
      } else {
        p.host().node.onLogStable(p.write(), write(p.write()));
      }
    }
  }

  private void stage(Pending p) {
    if (!staged.add(p.checkpoint())) return;
    p.host().node.onCheckpointStaged(p.checkpoint(), location("host", p.checkpoint()), 64, digest(p.checkpoint()));
  }

  private String write(LogWrite w) {
    try {
      if (w instanceof LogWrite.Segment s) return stable.writeSegment("group", s.record(), s.entries());
      return stable.writeInTransit("group", ((LogWrite.InTransit) w).message());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // ---- what a recovery reads ---------------------------------------------------------------------------------

  /** What the hosts in {@code up} would tell a planner, with {@code failed} no longer running. */
  Survivors survivors(Set<Integer> failed, int... up) {
    List<HostSnapshot> snapshots = new ArrayList<>();
    for (int h : up) snapshots.add(hosts[h].node.snapshot());
    return new SnapshotSurvivors(snapshots, failed);
  }

  static <T extends Effect> List<T> only(List<Effect> effects, Class<T> type) {
    List<T> out = new ArrayList<>();
    for (Effect e : effects) if (type.isInstance(e)) out.add(type.cast(e));
    return out;
  }

  private List<Effect> recording(Runnable event) {
    int before = effects.size();
    event.run();
    return List.copyOf(effects.subList(before, effects.size()));
  }

  private static String location(String tier, BoundaryRecord r) {
    return tier + ":ckpt/" + r.vm() + "/" + r.index() + "/" + r.incarnation();
  }

  private static String digest(BoundaryRecord r) {
    return Integer.toHexString(r.hashCode());
  }

  // ---- one host's adapters -----------------------------------------------------------------------------------

  private final class Host implements Relay, Guests, LogWriter, ManagerLink, HostClock {
    final String id;
    final HostNode node;
    long index;

    Host(String id) {
      this.id = id;
      this.node = new HostNode(id, "group", config, new MessageLog(stable), this, this, this, this, this);
    }

    // Relay: frames stay on the wire until the test delivers them; acknowledgements reach the senders at once.

    @Override public void transmit(Message message, byte[] payload) {
      wire.put(message, payload);
      transmissions.merge(message, 1, Integer::sum);
    }

    @Override public void acknowledge(List<LogEntry> batch) {
      effects.add(new Acknowledged(List.copyOf(batch)));
      Map<Host, List<LogEntry>> bySender = new LinkedHashMap<>();
      for (LogEntry e : batch) bySender.computeIfAbsent(hosts[hostOf[e.message().from()]], k -> new ArrayList<>()).add(e);
      bySender.forEach((sender, share) -> sender.node.onAcknowledgements(share));
    }

    @Override public void dropped(Message message, DropReason reason) {
      effects.add(new Dropped(message, reason));
    }

    // Guests

    @Override public boolean running(int vm) {
      return hostOf[vm] >= 0 && hosts[hostOf[vm]] == this;
    }

    @Override public void handOff(int vm, String target) {
      hostOf[vm] = -1; // in the hypervisor's migration stream: running nowhere
    }

    @Override public void takeOver(int vm, VmMigration migration) {
      hostOf[vm] = java.util.Arrays.asList(hosts).indexOf(this);
    }

    @Override public long position(int vm) {
      return position[vm];
    }

    @Override public void deliver(LogEntry entry, byte[] payload, Replay replay) {
      effects.add(new Delivered(entry, replay));
    }

    @Override public void checkpoint(BoundaryRecord checkpoint) {
      effects.add(new Checkpointed(checkpoint));
      pending.add(new Pending(this, checkpoint, null));
    }

    @Override public void rebuild(int vm, BoundaryRecord checkpoint, String location, List<LoggedMessage> replay,
                                  long until) {
      effects.add(new Rebuilt(vm, checkpoint, location, replay.stream().map(LoggedMessage::entry).toList(), until));
      position[vm] = until;
    }

    @Override public void stop(int vm) {}

    // LogWriter

    @Override public void write(LogWrite write) {
      if (write instanceof LogWrite.Segment s) {
        effects.add(new SegmentWritten(s.record(), s.entries().stream().map(LoggedMessage::entry).toList()));
      } else if (write instanceof LogWrite.InTransit t) {
        effects.add(new InTransitWritten(t.message().entry()));
      }
      pending.add(new Pending(this, null, write));
    }

    // ManagerLink: the manager's side, on the protocol's line keeper

    @Override public void report(String groupId, List<NodeReport> batch) {
      for (NodeReport r : batch) {
        if (r instanceof NodeReport.Boundary b) {
          keeper.record(b.record());
          if (b.stable()) keeper.markStable(b.record().vm(), b.record().index(), b.record().incarnation());
        } else if (r instanceof NodeReport.InTransit t) {
          keeper.markInTransitLogged(t.entry().message());
          stableInTransit.computeIfAbsent(t.entry().message().to(), k -> new ArrayList<>()).add(t.entry());
        }
      }
    }

    // HostClock

    @Override public long index() {
      return index;
    }
  }
}
