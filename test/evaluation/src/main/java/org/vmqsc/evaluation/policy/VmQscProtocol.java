package org.vmqsc.evaluation.policy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.vmqsc.evaluation.Failure;
import org.vmqsc.evaluation.MessageEvent;
import org.vmqsc.evaluation.sim.Cut;
import org.vmqsc.evaluation.sim.RecoveryPlan;
import org.vmqsc.evaluation.sim.Replay;
import org.vmqsc.evaluation.sim.Restore;
import org.vmqsc.evaluation.sim.Source;
import org.vmqsc.protocol.BoundaryRecord;
import org.vmqsc.protocol.GroupConfig;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.Message;
import org.vmqsc.protocol.VmClass;
import org.vmqsc.protocol.host.HostAction;
import org.vmqsc.protocol.host.HostRules;
import org.vmqsc.protocol.host.SenderCopy;
import org.vmqsc.protocol.host.VmReplayPlan;
import org.vmqsc.protocol.manager.LineKeeper;
import org.vmqsc.protocol.recovery.RecoveryPlanner;
import org.vmqsc.protocol.recovery.Survivors;
import org.vmqsc.protocol.recovery.VmRestore;

/**
 * VM_QSC as vmqsc implements it: the protocol module's own {@link HostRules} (one per host), {@link LineKeeper}
 * and {@link RecoveryPlanner} driven by the scenario, so the figures are those of the code that ships. A guest's
 * position is its event position in the scenario's timeline.
 *
 * <p>What the harness adds is timing: a checkpoint is staged on its host after the pause and stable after its
 * write; a log segment is stable once its bytes are written; a late message once its log write completes. Each
 * stable mark is reported to the line keeper, and every line move is announced to every host.
 */
public final class VmQscProtocol extends AbstractPolicy {
  /** seq (8), csn (8), incarnation (4) and digest (8) travel with every message between relays. */
  static final int PIGGYBACK_BYTES = 28;

  private GroupConfig config;
  private HostRules[] hosts;
  private LineKeeper keeper;
  private Message[] stamped;
  private final Map<String, Integer> idOf = new HashMap<>();
  /** Per (vm, incarnation, index): when the checkpoint was taken and when it became stable. */
  private final Map<String, double[]> checkpointTimes = new HashMap<>();
  /** Per (vm, index): a log segment's entries and when it became stable. */
  private final Map<String, Segment> segments = new HashMap<>();
  /** Per receiver: late messages written to stable storage, with when the write completed. */
  private final Map<Integer, List<TimedEntry>> inTransit = new HashMap<>();
  private boolean[] logged;

  private record Segment(List<LogEntry> entries, double stableAt) {}

  private record TimedEntry(LogEntry entry, double stableAt) {}

  @Override public String name() { return "vmqsc"; }

  @Override public void start(PolicyContext context) {
    super.start(context);
    List<VmClass> classes = new ArrayList<>();
    for (int v = 0; v < scenario.vms(); v++) classes.add(new VmClass(scenario.classes().interval(v)));
    config = new GroupConfig(Math.max(1, Math.round(scenario.basePeriod() * 1000)), classes);
    hosts = new HostRules[scenario.placement().hosts()];
    for (int h = 0; h < hosts.length; h++) hosts[h] = new HostRules(config);
    keeper = new LineKeeper(config);
    stamped = new Message[scenario.messages().size()];
    logged = new boolean[scenario.messages().size()];
    for (int v = 0; v < scenario.vms(); v++) {
      BoundaryRecord c0 = hosts[hostOf(v)].start(v).record();
      keeper.record(c0);
      keeper.markStable(v, 0, 0);
      hosts[hostOf(v)].checkpointStaged(c0);
      checkpointTimes.put(key(v, 0, 0), new double[] {0, 0});
    }
    advanceLine();
    for (int h = 0; h < hosts.length; h++) scheduleBoundary(h, 1);
  }

  private void scheduleBoundary(int host, long n) {
    double t = scenario.boundaryTime(host, n);
    if (t >= scenario.duration()) return;   // like every protocol's rounds: none at the very end
    context.schedule(t, (time, pos) -> {
      for (int v : scenario.placement().vmsOn(host)) apply(hosts[host].onBoundary(v, n, pos), time);
      scheduleBoundary(host, n + 1);
    });
  }

  @Override public void onSend(MessageEvent m, long position) {
    Message msg = hosts[hostOf(m.src())].stamp(m.src(), m.dst(), (int) Math.min(Integer.MAX_VALUE, m.bytes()), m.id(), position)
        .orElseThrow(() -> new IllegalStateException("send of message " + m.id() + " suppressed in a failure-free run"));
    stamped[m.id()] = msg;
    idOf.put(msg.from() + ">" + msg.to() + "#" + msg.seq(), m.id());
    tally.piggybackBytes += PIGGYBACK_BYTES;
  }

  @Override public void onReceive(MessageEvent m, long position) {
    apply(hosts[hostOf(m.dst())].onArrival(stamped[m.id()], position), m.receiveTime());
  }

  /** Carries out what the host rules ask, with the harness's timing. */
  private void apply(List<HostAction> actions, double time) {
    for (HostAction a : actions) {
      if (a instanceof HostAction.TakeCheckpoint t) {
        BoundaryRecord r = t.record();
        Checkpoint c = takeCheckpoint(r.vm(), r.index(), time, Cut.at(r.position()), r.forced());
        tally.pauseSeconds += cost.checkpointPauseSeconds();
        tally.controlMessages++;   // the report
        checkpointTimes.put(key(r.vm(), r.incarnation(), r.index()), new double[] {time, c.stableAt()});
        keeper.record(r);
        context.schedule(time + cost.checkpointPauseSeconds(), (t2, p2) -> hosts[hostOf(r.vm())].checkpointStaged(r));
        context.schedule(c.stableAt(), (t2, p2) -> markStable(r));
      } else if (a instanceof HostAction.WriteLogSegment w) {
        BoundaryRecord r = w.record();
        long bytes = 0;
        for (LogEntry e : w.entries()) {
          bytes += e.message().size();
          countLogged(e.message());
        }
        tally.loggedBytes += bytes;
        tally.storageWrite(time, bytes);
        tally.controlMessages++;
        double stableAt = time + bytes / cost.stableBytesPerSecond();
        segments.put(r.vm() + "@" + r.index(), new Segment(w.entries(), stableAt));
        keeper.record(r);
        context.schedule(stableAt, (t2, p2) -> markStable(r));
      } else if (a instanceof HostAction.WriteInTransit w) {
        LogEntry e = w.entry();
        countLogged(e.message());
        tally.loggedBytes += e.message().size();
        tally.storageWrite(time, e.message().size());
        double stableAt = time + cost.logWriteSeconds();
        inTransit.computeIfAbsent(e.message().to(), k -> new ArrayList<>()).add(new TimedEntry(e, stableAt));
        context.schedule(stableAt, (t2, p2) -> {
          tally.controlMessages++;
          keeper.markInTransitLogged(e.message());
          advanceLine();
        });
      } else if (a instanceof HostAction.Acknowledge ack) {
        // One message per sender host, which annotates its copies.
        java.util.Set<Integer> senderHosts = new java.util.HashSet<>();
        for (LogEntry e : ack.entries()) {
          int host = hostOf(e.message().from());
          senderHosts.add(host);
          hosts[host].onAcknowledge(e);
        }
        tally.controlMessages += senderHosts.size();
      } else if (a instanceof HostAction.Drop d) {
        throw new IllegalStateException("message dropped in a failure-free run: " + d);
      }
      // Deliver: the scenario delivers it.
    }
  }

  private void countLogged(Message m) {
    int id = idOf.get(m.from() + ">" + m.to() + "#" + m.seq());
    if (!logged[id]) {
      logged[id] = true;
      tally.loggedMessages++;
    }
  }

  private void markStable(BoundaryRecord r) {
    tally.controlMessages++;
    keeper.markStable(r.vm(), r.index(), r.incarnation());
    advanceLine();
  }

  private void advanceLine() {
    keeper.advance().ifPresent(line -> {
      tally.controlMessages += hosts.length;
      for (HostRules h : hosts) h.onLine(line.index());
    });
  }

  private static String key(int vm, int incarnation, long index) {
    return vm + "/" + incarnation + "/" + index;
  }

  private int id(Message m) {
    return idOf.get(m.from() + ">" + m.to() + "#" + m.seq());
  }

  @Override public RecoveryPlan recover(Failure f, long position) {
    return f.kind() == Failure.Kind.VM ? recoverVm(f, position) : recoverHost(f, position);
  }

  private RecoveryPlan recoverVm(Failure f, long position) {
    int vm = f.target();
    VmReplayPlan p = hosts[hostOf(vm)].planVmFailure(vm);
    double[] t = checkpointTimes.get(key(vm, p.checkpoint().incarnation(), p.checkpoint().index()));
    List<Replay> replays = new ArrayList<>();
    for (LogEntry e : p.entries()) replays.add(new Replay(id(e.message()), Source.host(hostOf(vm))));
    Source from = t[1] <= f.time() ? Source.stable(t[1]) : Source.host(hostOf(vm));
    return new RecoveryPlan(f, position,
        List.of(new Restore(vm, Cut.at(p.checkpoint().position()), t[0], from, Cut.at(position))), replays);
  }

  private RecoveryPlan recoverHost(Failure f, long position) {
    Set<Integer> failed = new TreeSet<>(scenario.placement().vmsOn(f.target()));
    Set<Integer> up = new TreeSet<>();
    for (int v = 0; v < scenario.vms(); v++) if (!failed.contains(v)) up.add(v);
    Survivors survivors = new Survivors() {
      @Override public Set<Integer> vms() { return up; }
      @Override public long[] receivedFrom(int vm) { return hosts[hostOf(vm)].receivedFrom(vm); }
      @Override public List<LogEntry> receiveLog(int vm) {
        return hostOf(vm) == f.target() ? List.of() : hosts[hostOf(vm)].receiveLog(vm);
      }
      @Override public List<SenderCopy> copiesTo(int vm) {
        List<SenderCopy> out = new ArrayList<>();
        for (int h = 0; h < hosts.length; h++) if (h != f.target()) out.addAll(hosts[h].copiesTo(vm));
        return out;
      }
    };
    Map<Integer, List<LogEntry>> stable = new HashMap<>();
    Map<String, Double> stableAt = new HashMap<>();
    for (Map.Entry<Integer, List<TimedEntry>> e : inTransit.entrySet()) {
      for (TimedEntry t : e.getValue()) {
        if (t.stableAt() > f.time()) continue;
        stable.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(t.entry());
        stableAt.put(msgKey(t.entry().message()), t.stableAt());
      }
    }
    org.vmqsc.protocol.recovery.RecoveryPlan plan;
    try {
      plan = RecoveryPlanner.planHostFailure(config, keeper, failed, survivors, stable);
    } catch (IllegalStateException e) {
      // The planner refuses a recovery it cannot make complete; the oracle reports the failed VMs as not restored.
      return new RecoveryPlan(f, position, List.of(), List.of());
    }
    List<Restore> restores = new ArrayList<>();
    List<Replay> replays = new ArrayList<>();
    for (VmRestore r : plan.restores()) {
      BoundaryRecord c = r.checkpoint();
      double[] t = checkpointTimes.get(key(r.vm(), c.incarnation(), c.index()));
      restores.add(new Restore(r.vm(), Cut.at(c.position()), t[0], Source.stable(t[1]), Cut.at(r.lineState().position())));
      for (BoundaryRecord s : r.segments()) {
        Segment seg = segments.get(s.vm() + "@" + s.index());
        for (LogEntry e : seg.entries()) replays.add(new Replay(id(e.message()), Source.stable(seg.stableAt())));
      }
      for (org.vmqsc.protocol.recovery.Replay rp : r.replays()) {
        Message m = rp.message();
        Source s = switch (rp.source()) {
          case STABLE_IN_TRANSIT -> Source.stable(stableAt.get(msgKey(m)));
          case RECEIVER_LOG -> Source.host(hostOf(m.to()));
          case SENDER_COPY -> Source.host(hostOf(m.from()));
        };
        replays.add(new Replay(id(m), s));
      }
    }
    // HostRules drops a message whose channel seq it has delivered: a replayed copy of a message still on the wire
    // makes the wire's copy a duplicate.
    return new RecoveryPlan(f, position, restores, replays, true);
  }

  private static String msgKey(Message m) {
    return m.from() + ">" + m.to() + "#" + m.seq();
  }
}
