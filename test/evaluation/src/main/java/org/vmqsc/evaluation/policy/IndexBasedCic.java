package org.vmqsc.evaluation.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.vmqsc.evaluation.Failure;
import org.vmqsc.evaluation.MessageEvent;
import org.vmqsc.evaluation.sim.Cut;
import org.vmqsc.evaluation.sim.RecoveryPlan;
import org.vmqsc.evaluation.sim.Replay;
import org.vmqsc.evaluation.sim.Restore;
import org.vmqsc.evaluation.sim.Source;

/**
 * Index-based communication-induced checkpointing (Briatico, Ciuffoletti and Simoncini): each VM takes basic
 * checkpoints on its own period, numbering them with an index it increments; every message carries the sender's
 * index, and a receiver whose index is lower takes a forced checkpoint with the message's index before delivery.
 * The first checkpoints with index >= i form a consistent line. A message arriving with a lower index than the
 * receiver's crossed a line in transit, so the receiver logs it to stable storage before delivery.
 */
public final class IndexBasedCic extends AbstractPolicy {
  static final int PIGGYBACK_BYTES = 4;
  private long[] index;
  private long[] indexAtSend;
  private final List<List<Integer>> lateLogged = new ArrayList<>();

  @Override public String name() { return "bcs-cic"; }

  @Override public void start(PolicyContext context) {
    super.start(context);
    index = new long[scenario.vms()];
    indexAtSend = new long[scenario.messages().size()];
    Random r = new Random(context.seed() * 17 + 3);
    for (int v = 0; v < scenario.vms(); v++) {
      lateLogged.add(new ArrayList<>());
      // Autonomous periods: each VM picks its own, within a quarter of the base period.
      double period = scenario.basePeriod() * (0.75 + 0.5 * r.nextDouble());
      double phase = r.nextDouble() * period;
      scheduleBasic(v, 0, period, phase, scenario.hostDrift()[hostOf(v)]);
    }
  }

  private void scheduleBasic(int vm, long j, double period, double phase, double drift) {
    double t = (phase + j * period) / (1 + drift);
    if (t >= scenario.duration()) return;
    context.schedule(t, (time, pos) -> {
      index[vm]++;
      takeCheckpoint(vm, index[vm], time, Cut.at(pos), false);
      tally.pauseSeconds += cost.checkpointPauseSeconds();
      scheduleBasic(vm, j + 1, period, phase, drift);
    });
  }

  /** The index each message carried; tests use it to check the forcing rule. */
  public long indexCarried(int message) { return indexAtSend[message]; }

  @Override public void onSend(MessageEvent m, long position) {
    indexAtSend[m.id()] = index[m.src()];
    tally.piggybackBytes += PIGGYBACK_BYTES;
  }

  @Override public void onReceive(MessageEvent m, long position) {
    long carried = indexAtSend[m.id()];
    int v = m.dst();
    if (carried > index[v]) {
      index[v] = carried;
      takeCheckpoint(v, carried, m.receiveTime(), Cut.at(position), true);
      tally.pauseSeconds += cost.checkpointPauseSeconds();
    } else if (carried < index[v]) {
      lateLogged.get(v).add(m.id());
      tally.loggedMessages++;
      tally.loggedBytes += m.bytes();
      tally.storageWrite(m.receiveTime(), m.bytes());
      tally.blockingSeconds += cost.logWriteSeconds();
    }
  }

  @Override public RecoveryPlan recover(Failure f, long position) {
    int n = scenario.vms();
    long line = Long.MAX_VALUE;
    for (int v = 0; v < n; v++) if (failedBy(f, v)) line = Math.min(line, latestUsable(v, f).index());
    Cut[] recovered = new Cut[n];
    List<Restore> restores = new ArrayList<>();
    for (int v = 0; v < n; v++) {
      recovered[v] = Cut.at(position);
      Checkpoint first = null;
      for (Checkpoint c : checkpoints.get(v)) {
        if (c.index() >= line && c.time() <= f.time()) { first = c; break; }
      }
      if (first == null) continue;   // never reached the line's index: its current state is on the line
      recovered[v] = first.cut();
      restores.add(Restore.withoutReplay(v, first.cut(), first.time(), first.sourceAt(f)));
    }
    List<Replay> replays = new ArrayList<>();
    for (int v = 0; v < n; v++) {
      for (int id : lateLogged.get(v)) {
        MessageEvent m = scenario.messages().get(id);
        boolean sent = recovered[m.src()].hasSent(timeline, id);
        boolean received = recovered[v].hasReceived(timeline, id);
        if (sent && !received && timeline.receivePos(id) < position) {
          replays.add(new Replay(id, Source.stable(m.receiveTime())));
        }
      }
    }
    return new RecoveryPlan(f, position, restores, replays);
  }
}
