package org.vmqsc.evaluation.policy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.vmqsc.agent.log.LoggedMessage;
import org.vmqsc.agent.log.MemoryMessageStore;
import org.vmqsc.agent.log.MessageLog;
import org.vmqsc.agent.net.CarriedReceiptCodec;
import org.vmqsc.agent.node.Guests;
import org.vmqsc.agent.node.HostClock;
import org.vmqsc.agent.node.HostNode;
import org.vmqsc.agent.node.LogWriter;
import org.vmqsc.agent.node.ManagerLink;
import org.vmqsc.agent.node.NodeReport;
import org.vmqsc.agent.node.Relay;
import org.vmqsc.evaluation.Failure;
import org.vmqsc.evaluation.MessageEvent;
import org.vmqsc.evaluation.sim.Cut;
import org.vmqsc.evaluation.sim.RecoveryPlan;
import org.vmqsc.evaluation.sim.Replay;
import org.vmqsc.evaluation.sim.Restore;
import org.vmqsc.evaluation.sim.Source;
import org.vmqsc.protocol.BoundaryRecord;
import org.vmqsc.protocol.CarriedReceipt;
import org.vmqsc.protocol.EarlyIndexPolicy;
import org.vmqsc.protocol.GroupConfig;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.Message;
import org.vmqsc.protocol.VmClass;
import org.vmqsc.protocol.host.HostAction.DropReason;
import org.vmqsc.protocol.recovery.HostSnapshot;
import org.vmqsc.protocol.recovery.VmRestore;
import org.vmqsc.server.recovery.HostChannel;
import org.vmqsc.server.recovery.RecoveryCoordinator;
import org.vmqsc.server.runtime.ReportIntake;
import org.vmqsc.server.runtime.HostReports;
import org.vmqsc.server.service.ProtectionService;
import org.vmqsc.server.service.RecoveryPolicy;
import org.vmqsc.server.service.ServiceException;
import org.vmqsc.server.service.Views.CollectionResult;
import org.vmqsc.server.service.Views.HostFailurePlan;
import org.vmqsc.server.service.Views.LineView;
import org.vmqsc.server.service.Views.RestoreStep;
import org.vmqsc.server.service.memory.InMemoryProtectionService;

/**
 * VM_QSC as vmqsc ships it: one {@link HostNode} per host, the {@link ProtectionService} (in memory), the
 * {@link ReportIntake} and the {@link RecoveryCoordinator}, driven by the scenario through in-memory adapters of
 * the nodes' ports and of the manager's {@link HostChannel}, the way the cluster simulator drives them. A guest's
 * position is its event position in the scenario's timeline; the scenario delivers every message itself.
 *
 * <p>What the harness adds is timing: a checkpoint is staged on its host after the pause and stable after its
 * write; a log segment is stable once its bytes are written; a late message once its log write completes. The
 * nodes report each of these to the intake, which moves the line and announces every move to every host.
 *
 * <p>Failures are probes (the run goes on unchanged after them): a VM failure asks the VM's node to restart it and
 * records the checkpoint and replay its host would use; a host failure lets the coordinator fence, snapshot the
 * surviving nodes and plan, and stops it at the claim, where a recovery would start to change anything.
 *
 * <p>Counted as before: every report a node sends (one per checkpoint or segment staged, one per one stable, one
 * per late message stable; the boot images are on stable storage before the run and not reported by the count),
 * one acknowledgement message per sender host of a batch, and one line message per host per line move.
 */
public final class VmQscRuntime extends AbstractPolicy {
  /**
   * seq (8), the sender's index (8), incarnation (4), digest (8) and what the sender had received (8) travel with
   * every message between relays; the receipts it carries add what {@link CarriedReceiptCodec} packs them into
   * (about 20 bytes each); the carried messages' own bytes never travel.
   */
  static final int PIGGYBACK_BYTES = 36;

  private GroupConfig config;
  private String groupUuid;
  private String[] vmUuids;
  private Host[] hosts;
  private final Map<String, Host> hostByUuid = new HashMap<>();
  private final HostChannel channel = new Channel();
  private ReportIntake intake;
  private RecoveryCoordinator coordinator;
  /** Stable storage for message logs, shared by every host. */
  private final MemoryMessageStore stableLog = new MemoryMessageStore();
  /** Per stable log location: when its write completed. Forgotten when the line passes it. */
  private final Map<String, Double> stableAt = new HashMap<>();
  /** Per (vm, incarnation, index): when the checkpoint was taken and when it became stable. */
  private final Map<String, double[]> checkpointTimes = new HashMap<>();

  /** A stamped message and its bytes, from its send until its receive. */
  private Message[] stamped;
  private byte[][] inFlight;
  private List<CarriedReceipt>[] carriedInFlight;
  private boolean[] logged;

  /** The time and timeline position of the event being handled: the guests' position, the writes' start. */
  private double now;
  private long position;
  /** The host a host-failure probe takes down: the channel does not reach it. */
  private int probedHost = -1;

  @Override public String name() { return "vmqsc"; }

  @Override public void start(PolicyContext context) {
    super.start(context);
    List<VmClass> classes = new ArrayList<>();
    for (int v = 0; v < scenario.vms(); v++) classes.add(new VmClass(scenario.classes().interval(v), scenario.classes().phase(v)));
    long t0 = Math.max(1, Math.round(scenario.basePeriod() * 1000));
    InMemoryProtectionService service = new InMemoryProtectionService(Clock.fixed(Instant.EPOCH, ZoneOffset.UTC),
        InMemoryProtectionService.counterIds(), "evaluation");
    groupUuid = service.createGroup("evaluation", t0, RecoveryPolicy.AUTOMATIC, EarlyIndexPolicy.ADVANCE_AND_LOG)
        .uuid();
    hosts = new Host[scenario.placement().hosts()];
    for (int h = 0; h < hosts.length; h++) {
      hosts[h] = new Host(h);
      hostByUuid.put(hosts[h].uuid, hosts[h]);
    }
    vmUuids = new String[scenario.vms()];
    for (int v = 0; v < scenario.vms(); v++) {
      vmUuids[v] = new UUID(0x766dL, v).toString();
      service.addVm(groupUuid, vmUuids[v], classes.get(v).toString(), hosts[hostOf(v)].uuid);
    }
    config = service.config(groupUuid);
    if (!config.equals(new GroupConfig(t0, classes))) {
      throw new IllegalStateException("the service's group " + config + " differs from the scenario's " + classes);
    }
    for (Host h : hosts) h.boot();
    intake = new ReportIntake(service, channel, this::onLineMoved);
    coordinator = new RecoveryCoordinator(probing(service), channel);
    stamped = new Message[scenario.messages().size()];
    inFlight = new byte[scenario.messages().size()][];
    @SuppressWarnings("unchecked") List<CarriedReceipt>[] carried = new List[scenario.messages().size()];
    carriedInFlight = carried;
    logged = new boolean[scenario.messages().size()];
    for (int v = 0; v < scenario.vms(); v++) hosts[hostOf(v)].node.start(v);
    for (int h = 0; h < hosts.length; h++) scheduleBoundary(hosts[h], 1);
  }

  private void scheduleBoundary(Host host, long n) {
    double t = scenario.boundaryTime(host.id, n);
    if (t >= scenario.duration()) return;   // like every protocol's rounds: none at the very end
    at(t, () -> {
      host.index = n;
      host.node.onBoundary(n);
      scheduleBoundary(host, n + 1);
    });
  }

  /** Runs {@code action} at {@code time} with the clock and position of that instant. */
  private void at(double time, Runnable action) {
    context.schedule(time, (t, pos) -> {
      now = t;
      position = pos;
      action.run();
    });
  }

  // ---- the scenario's traffic --------------------------------------------------------------------------------

  @Override public void onSend(MessageEvent m, long position) {
    this.now = m.sendTime();
    this.position = position;
    byte[] payload = new byte[(int) Math.min(Integer.MAX_VALUE, m.bytes())];
    hosts[hostOf(m.src())].node.send(m.src(), m.dst(), payload, m.id())
        .orElseThrow(() -> new IllegalStateException("send of message " + m.id() + " suppressed in a failure-free run"));
    tally.piggybackBytes += PIGGYBACK_BYTES;
  }

  @Override public void onReceive(MessageEvent m, long position) {
    this.now = m.receiveTime();
    this.position = position;
    byte[] payload = inFlight[m.id()];
    inFlight[m.id()] = null;
    List<CarriedReceipt> carried = carriedInFlight[m.id()];
    carriedInFlight[m.id()] = null;
    hosts[hostOf(m.dst())].node.onArrival(stamped[m.id()], payload, carried == null ? List.of() : carried);
  }

  /** The scenario's id of a message: the nodes carry it as the message's digest. */
  private static int id(Message m) {
    return (int) m.digest();
  }

  private void countLogged(Message m) {
    int id = id(m);
    if (!logged[id]) {
      logged[id] = true;
      tally.loggedMessages++;
    }
  }

  // ---- the manager -------------------------------------------------------------------------------------------

  private void onLineMoved(LineView line, CollectionResult collected) {
    for (String location : collected.locations()) {
      if (stableAt.remove(location) != null) stableLog.delete(location);   // checkpoints are not in the log store
    }
  }

  /**
   * The service the coordinator uses: the same one, except that a claim ends the probe, with the plan, before the
   * recovery changes anything.
   */
  private static ProtectionService probing(ProtectionService inner) {
    return (ProtectionService) Proxy.newProxyInstance(ProtectionService.class.getClassLoader(),
        new Class<?>[] {ProtectionService.class}, (proxy, method, args) -> {
          if (method.getName().equals("claimRecovery")) throw new Probed((HostFailurePlan) args[3]);
          try {
            return method.invoke(inner, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  /** The plan a probed recovery would carry out. */
  private static final class Probed extends RuntimeException {
    final transient HostFailurePlan plan;

    Probed(HostFailurePlan plan) {
      super("probe", null, false, false);
      this.plan = plan;
    }
  }

  // ---- failures ----------------------------------------------------------------------------------------------

  @Override public RecoveryPlan recover(Failure f, long position) {
    this.now = f.time();
    this.position = position;
    return f.kind() == Failure.Kind.VM ? recoverVm(f, position) : recoverHost(f, position);
  }

  private RecoveryPlan recoverVm(Failure f, long position) {
    int vm = f.target();
    Host host = hosts[hostOf(vm)];
    host.rebuilt = null;
    host.node.onVmFailure(vm);
    Rebuild rebuild = host.rebuilt;
    host.rebuilt = null;
    BoundaryRecord c = rebuild.checkpoint();
    double[] t = checkpointTimes.get(key(vm, c.incarnation(), c.index()));
    List<Replay> replays = new ArrayList<>();
    for (LoggedMessage e : rebuild.replay()) replays.add(new Replay(id(e.entry().message()), Source.host(host.id)));
    Source from = t[1] <= f.time() ? Source.stable(t[1]) : Source.host(host.id);
    return new RecoveryPlan(f, position, List.of(new Restore(vm, Cut.at(c.position()), t[0], from, Cut.at(position))),
        replays);
  }

  private RecoveryPlan recoverHost(Failure f, long position) {
    HostFailurePlan planned;
    probedHost = f.target();
    try {
      coordinator.onHostFailed(hosts[f.target()].uuid);
      return new RecoveryPlan(f, position, List.of(), List.of());   // no VM of the group was on it
    } catch (Probed p) {
      planned = p.plan;
    } catch (IllegalStateException | ServiceException e) {
      // The planner refuses a recovery it cannot make complete; the oracle reports the failed VMs as not restored.
      return new RecoveryPlan(f, position, List.of(), List.of());
    } finally {
      probedHost = -1;
    }
    Map<String, RestoreStep> steps = new HashMap<>();
    for (RestoreStep s : planned.restores()) steps.put(s.vmUuid(), s);
    List<Restore> restores = new ArrayList<>();
    List<Replay> replays = new ArrayList<>();
    Map<Integer, Cut> recovered = new HashMap<>();
    for (VmRestore r : planned.plan().restores()) recovered.put(r.vm(), recoveredCut(r));
    for (VmRestore r : planned.plan().restores()) {
      BoundaryRecord c = r.checkpoint();
      double[] t = checkpointTimes.get(key(r.vm(), c.incarnation(), c.index()));
      restores.add(new Restore(r.vm(), Cut.at(c.position()), t[0], Source.stable(t[1]), recovered.get(r.vm())));
      // Past its stable state: its receipts taken again, from the surviving hosts that held them (or made again by
      // a same-host sender rebuilt with it: as near).
      Source survivor = Source.host(liveHostOtherThan(f.target()));
      for (LogEntry e : r.extension()) replays.add(new Replay(id(e.message()), survivor));
      // Its sends made again, which a receiver's recovered state lacks, reach it from its new execution.
      if (r.isExtended()) replays.addAll(sentAgain(r, recovered, position, survivor));
      for (String location : steps.get(vmUuids[r.vm()]).segmentLocations()) {
        Source s = Source.stable(stableAt.get(location));
        for (LoggedMessage e : read(location)) replays.add(new Replay(id(e.entry().message()), s));
      }
      for (org.vmqsc.protocol.recovery.Replay rp : r.replays()) {
        Message m = rp.message();
        Source s = switch (rp.source()) {
          case STABLE_IN_TRANSIT -> Source.stable(stableAt.get(planned.inTransitLocations().get(m)));
          case RECEIVER_LOG -> Source.host(hostOf(m.to()));
          case SENDER_COPY -> Source.host(hostOf(m.from()));
        };
        replays.add(new Replay(id(m), s));
      }
    }
    // A node drops a message whose channel seq it has delivered: a replayed copy of a message still on the wire
    // makes the wire's copy a duplicate.
    return new RecoveryPlan(f, position, restores, replays, true);
  }

  /**
   * Where a restored VM's state ends: at its boundary, or, rebuilt past it, after its last receipt taken again and
   * its last send made again.
   */
  private Cut recoveredCut(VmRestore r) {
    long receivesBefore = r.lineState().position();
    long sendsBefore = r.lineState().position();
    for (LogEntry e : r.extension()) receivesBefore = Math.max(receivesBefore, e.position() + 1);
    for (Message m : r.resends()) sendsBefore = Math.max(sendsBefore, timeline.sendPos(id(m)) + 1);
    return new Cut(sendsBefore, receivesBefore, -1);
  }

  /** The sends an extended VM makes again that a receiver's recovered state lacks (in transit across it). */
  private List<Replay> sentAgain(VmRestore r, Map<Integer, Cut> recovered, long failurePos, Source from) {
    Cut base = Cut.at(r.lineState().position());
    Cut extent = recovered.get(r.vm());
    Cut now = Cut.at(failurePos);
    List<Replay> out = new ArrayList<>();
    for (int id = 0; id < scenario.messages().size(); id++) {
      var m = scenario.messages().get(id);
      if (m.src() != r.vm() || base.hasSent(timeline, id) || !extent.hasSent(timeline, id)) continue;
      if (!recovered.getOrDefault(m.dst(), now).hasReceived(timeline, id)) out.add(new Replay(id, from));
    }
    return out;
  }

  /** A host that survived the failure of {@code failed}; the failed one itself when none did (nothing survives). */
  private int liveHostOtherThan(int failed) {
    for (int h = 0; h < hosts.length; h++) if (h != failed) return h;
    return failed;
  }

  private List<LoggedMessage> read(String location) {
    try {
      return stableLog.read(location);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the log record " + location, e);
    }
  }

  private static String key(int vm, int incarnation, long index) {
    return vm + "/" + incarnation + "/" + index;
  }

  /** What a node would restart a failed VM from. */
  private record Rebuild(BoundaryRecord checkpoint, List<LoggedMessage> replay) {}

  // ---- one host: the adapters of its node's ports ------------------------------------------------------------

  private final class Host implements Relay, Guests, LogWriter, HostClock, ManagerLink {
    final int id;
    final String uuid;
    HostNode node;
    long index;
    Rebuild rebuilt;

    Host(int id) {
      this.id = id;
      this.uuid = new UUID(0x686f7374L, id).toString();
    }

    void boot() {
      node = new HostNode(uuid, groupUuid, config, new MessageLog(stableLog), this, this, this, this, this);
    }

    // Relay

    @Override public void transmit(Message message, byte[] payload) {
      // The scenario carries it: it arrives at its receive event.
      stamped[id(message)] = message;
      inFlight[id(message)] = payload;
    }

    @Override public void transmit(Message message, byte[] payload, List<CarriedReceipt> carried) {
      transmit(message, payload);
      carriedInFlight[id(message)] = carried;
      tally.piggybackBytes += CarriedReceiptCodec.encode(carried).length;
    }

    @Override public void acknowledge(List<LogEntry> batch) {
      // One message per sender host, which annotates its copies.
      Map<Integer, List<LogEntry>> bySenderHost = new LinkedHashMap<>();
      for (LogEntry e : batch) bySenderHost.computeIfAbsent(VmQscRuntime.this.hostOf(e.message().from()), h -> new ArrayList<>()).add(e);
      tally.controlMessages += bySenderHost.size();
      bySenderHost.forEach((h, share) -> hosts[h].node.onAcknowledgements(share));
    }

    @Override public void dropped(Message message, DropReason reason) {
      throw new IllegalStateException("message dropped in a failure-free run: " + message + " (" + reason + ")");
    }

    // Guests

    @Override public boolean running(int vm) {
      return VmQscRuntime.this.hostOf(vm) == id;
    }

    /** The scenario's guests are piecewise deterministic: what they do is fixed by the trace. */
    @Override public boolean deterministic() {
      return true;
    }

    @Override public long position(int vm) {
      return position;
    }

    @Override public void deliver(LogEntry entry, byte[] payload, org.vmqsc.protocol.recovery.Replay replay) {
      // The scenario delivers it.
    }

    @Override public void checkpoint(BoundaryRecord r) {
      String staged = "host:" + uuid;
      String location = "ckpt/" + key(r.vm(), r.incarnation(), r.index());
      String digest = key(r.vm(), r.incarnation(), r.index());
      long bytes = cost.checkpointBytes();
      if (r.index() == 0 && r.incarnation() == 0) {
        // The boot state: the VM's image, on stable storage before the run starts.
        checkpointTimes.put(key(r.vm(), 0, 0), new double[] {0, 0});
        node.onCheckpointStaged(r, staged, bytes, digest);
        node.onCheckpointStable(r, location, bytes, digest);
        return;
      }
      Checkpoint c = takeCheckpoint(r.vm(), r.index(), now, Cut.at(r.position()), r.forced());
      tally.pauseSeconds += cost.checkpointPauseSeconds();
      checkpointTimes.put(key(r.vm(), r.incarnation(), r.index()), new double[] {now, c.stableAt()});
      at(now + cost.checkpointPauseSeconds(), () -> node.onCheckpointStaged(r, staged, bytes, digest));
      at(c.stableAt(), () -> node.onCheckpointStable(r, location, bytes, digest));
    }

    @Override public void rebuild(int vm, BoundaryRecord checkpoint, String location, List<LoggedMessage> replay,
                                  long until) {
      rebuilt = new Rebuild(checkpoint, List.copyOf(replay));
    }

    @Override public void stop(int vm) {
      throw new IllegalStateException("VM " + vm + " stopped on host " + id + ": failures are probes here");
    }

    // LogWriter

    @Override public void write(LogWrite w) {
      if (w instanceof LogWrite.Segment s) {
        long bytes = 0;
        for (LoggedMessage e : s.entries()) {
          bytes += e.entry().message().size();
          countLogged(e.entry().message());
        }
        tally.loggedBytes += bytes;
        tally.storageWrite(now, bytes);
        at(now + bytes / cost.stableBytesPerSecond(), () -> {
          String location;
          try {
            location = stableLog.writeSegment(groupUuid, s.record(), s.entries());
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
          stableAt.put(location, now);
          node.onLogStable(w, location);
        });
      } else if (w instanceof LogWrite.InTransit t) {
        Message m = t.message().entry().message();
        countLogged(m);
        tally.loggedBytes += m.size();
        tally.storageWrite(now, m.size());
        at(now + cost.logWriteSeconds(), () -> {
          String location;
          try {
            location = stableLog.writeInTransit(groupUuid, t.message());
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
          stableAt.put(location, now);
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
      for (NodeReport r : batch) {
        // One control message per report; the boot checkpoints are part of setting the group up.
        if (!(r instanceof NodeReport.Boundary b) || b.record().index() > 0 || b.record().incarnation() > 0) {
          tally.controlMessages++;
        }
      }
      intake.accept(HostReports.of(uuid, groupId, vm -> vmUuids[vm], batch));
    }
  }

  // ---- the manager's channel to the hosts, in memory ---------------------------------------------------------

  /** The coordinator's and the intake's orders, carried to the nodes; a probe only reads and plans. */
  private final class Channel implements HostChannel {

    @Override public List<String> liveHosts() {
      List<String> out = new ArrayList<>();
      for (Host h : hosts) if (h.id != probedHost) out.add(h.uuid);
      return out;
    }

    @Override public HostSnapshot snapshot(String host, String group) {
      return hostByUuid.get(host).node.snapshot();
    }

    @Override public Map<Message, byte[]> payloads(String host, String group, List<Message> messages) {
      return hostByUuid.get(host).node.payloads(messages);
    }

    @Override public void restore(String host, String group, VmRestore restore, String checkpointLocation,
                                  List<String> segmentLocations) {
      throw probesOnly();
    }

    @Override public void rollback(String host, String group, int vm, int incarnation, long[] sentToAtLine) {
      throw probesOnly();
    }

    @Override public void replay(String host, String group, int vm, List<org.vmqsc.protocol.recovery.Replay> replays,
                                 Map<Message, byte[]> payloads, Map<Message, String> stableLocations) {
      throw probesOnly();
    }

    @Override public void freeze(String host, String group) {
      // Its recoveries happen in one instant: nothing runs between their orders.
    }

    @Override public void thaw(String host, String group) {
    }

    @Override public void evict(String host, String group, int vm) {
      // Its plans restore a VM where it runs, or on a host it never ran on: nothing to stop elsewhere.
    }

    @Override public void placement(String host, String group, int vm, String newHost) {
      // Its recoveries happen at one instant: no frame goes to a VM's old host after the plan, none to resend.
    }

    @Override public void drop(String host, String group) {
      throw new UnsupportedOperationException("the simulated world never deletes a group");
    }

    @Override public void reconcile(String host, java.util.Collection<String> stored, java.time.Duration grace) {
      // The simulated stores are collected by the line listener: nothing is left over to reconcile.
    }

    @Override public void line(String host, String group, long index, List<String> collectable) {
      tally.controlMessages++;
      hostByUuid.get(host).node.onLine(index);
    }

    @Override public void fence(String host) {
      // A probed host failure stops nothing: the run goes on unchanged.
    }

    private IllegalStateException probesOnly() {
      return new IllegalStateException("failures are probes here: a recovery is planned, never carried out");
    }
  }
}
