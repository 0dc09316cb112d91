package org.vmqsc.evaluation.policy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.vmqsc.evaluation.Failure;
import org.vmqsc.evaluation.MessageEvent;
import org.vmqsc.evaluation.sim.Cut;
import org.vmqsc.evaluation.sim.RecoveryPlan;
import org.vmqsc.evaluation.sim.Replay;
import org.vmqsc.evaluation.sim.Restore;
import org.vmqsc.evaluation.sim.Source;

/**
 * Non-blocking coordinated checkpointing (Chandy-Lamport): every base period VM 0 checkpoints and sends a marker on
 * every channel; a VM checkpoints when its first marker arrives and forwards markers; the messages that reach a VM
 * after its checkpoint but were sent before their sender's checkpoint are the channel state, stored with the
 * snapshot. A snapshot is complete once every channel state is closed and everything is stable; any failure rolls
 * every VM back to the last complete snapshot and replays its channel states.
 */
public final class ChandyLamport extends AbstractPolicy {
  private final List<Snapshot> snapshots = new ArrayList<>();
  private final Set<Integer> inFlight = new HashSet<>();

  private static final class Snapshot {
    final long[] position;
    final double[] time;
    int recorded;
    final Set<Integer> pending = new HashSet<>();   // sent before their sender's checkpoint, not yet arrived
    final List<Integer> channelState = new ArrayList<>();
    double lastRecordAt;
    double completeAt = Double.POSITIVE_INFINITY;

    Snapshot(int vms) {
      position = new long[vms];
      time = new double[vms];
      java.util.Arrays.fill(position, -1);
    }
  }

  @Override public String name() { return "chandy-lamport"; }

  @Override public void start(PolicyContext context) {
    super.start(context);
    scheduleRound(1);
  }

  private void scheduleRound(long k) {
    double t = k * scenario.basePeriod();
    if (t >= scenario.duration()) return;
    Snapshot s = new Snapshot(scenario.vms());
    int n = scenario.vms();
    tally.controlMessages += (long) n * (n - 1) + n;     // markers on every channel, a report per VM
    context.schedule(t, (time, pos) -> {
      snapshots.add(s);
      for (int v = 0; v < n; v++) {
        boolean sameHost = hostOf(v) == hostOf(0);
        double at = v == 0 ? time : time + context.timeModel().transferSeconds(0, sameHost);
        int vm = v;
        context.schedule(at, (t2, p2) -> record(s, vm, t2, p2));
      }
      scheduleRound(k + 1);
    });
  }

  private void record(Snapshot s, int vm, double time, long pos) {
    s.position[vm] = pos;
    s.time[vm] = time;
    s.recorded++;
    s.lastRecordAt = Math.max(s.lastRecordAt, time);
    takeCheckpoint(vm, snapshots.indexOf(s) + 1, time, Cut.at(pos), false);
    tally.pauseSeconds += cost.checkpointPauseSeconds();
    // Messages this VM sent before its checkpoint that are still on the wire may belong to a channel state.
    for (int id : inFlight) if (scenario.messages().get(id).src() == vm) s.pending.add(id);
    maybeComplete(s, time);
  }

  private void maybeComplete(Snapshot s, double now) {
    if (s.recorded == scenario.vms() && s.pending.isEmpty() && s.completeAt == Double.POSITIVE_INFINITY) {
      double closedAt = Math.max(now, s.lastRecordAt + context.timeModel().latencySeconds());
      s.completeAt = closedAt + cost.checkpointWriteSeconds();
    }
  }

  @Override public void onSend(MessageEvent m, long position) {
    inFlight.add(m.id());
  }

  @Override public void onReceive(MessageEvent m, long position) {
    inFlight.remove(m.id());
    for (int i = snapshots.size() - 1; i >= 0 && i >= snapshots.size() - 2; i--) {
      Snapshot s = snapshots.get(i);
      boolean wasPending = s.pending.remove(m.id());
      boolean sentBeforeSenderCheckpoint = wasPending || s.position[m.src()] < 0;
      boolean receiverRecorded = s.position[m.dst()] >= 0 && s.position[m.dst()] <= position;
      if (sentBeforeSenderCheckpoint && receiverRecorded) {
        s.channelState.add(m.id());
        tally.loggedMessages++;
        tally.loggedBytes += m.bytes();
        tally.storageWrite(m.receiveTime(), m.bytes());
      }
      maybeComplete(s, m.receiveTime());
    }
  }

  @Override public RecoveryPlan recover(Failure f, long position) {
    Snapshot last = null;
    for (Snapshot s : snapshots) if (s.completeAt <= f.time()) last = s;
    List<Restore> restores = new ArrayList<>();
    List<Replay> replays = new ArrayList<>();
    for (int v = 0; v < scenario.vms(); v++) {
      if (last == null) {
        restores.add(Restore.withoutReplay(v, Cut.at(0), 0, Source.stable(0)));
      } else {
        restores.add(Restore.withoutReplay(v, Cut.at(last.position[v]), last.time[v], Source.stable(last.completeAt)));
      }
    }
    if (last != null) for (int id : last.channelState) replays.add(new Replay(id, Source.stable(last.completeAt)));
    return new RecoveryPlan(f, position, restores, replays);
  }
}
