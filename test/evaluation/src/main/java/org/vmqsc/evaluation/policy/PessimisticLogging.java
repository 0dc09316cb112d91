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
 * Uncoordinated checkpoints (each VM every base period, at its own phase) with pessimistic receiver-side logging:
 * every message is written to stable storage before it is delivered. A failed VM restarts from its own latest
 * checkpoint and replays its log up to the failure; no other VM rolls back.
 */
public final class PessimisticLogging extends AbstractPolicy {
  /** Sequence number per message so a re-executing sender's duplicates are dropped. */
  static final int PIGGYBACK_BYTES = 8;
  private final List<List<Integer>> received = new ArrayList<>();

  @Override public String name() { return "pessimistic-log"; }

  @Override public void start(PolicyContext context) {
    super.start(context);
    Random r = new Random(context.seed() * 31 + 7);
    double t0 = scenario.basePeriod();
    for (int v = 0; v < scenario.vms(); v++) {
      received.add(new ArrayList<>());
      double drift = scenario.hostDrift()[hostOf(v)];
      double phase = r.nextDouble() * t0;
      scheduleCheckpoint(v, 0, phase, drift);
    }
  }

  private void scheduleCheckpoint(int vm, long j, double phase, double drift) {
    double t = (phase + j * scenario.basePeriod()) / (1 + drift);
    if (t >= scenario.duration()) return;
    context.schedule(t, (time, pos) -> {
      takeCheckpoint(vm, j + 1, time, Cut.at(pos), false);
      tally.pauseSeconds += cost.checkpointPauseSeconds();
      scheduleCheckpoint(vm, j + 1, phase, drift);
    });
  }

  @Override public void onSend(MessageEvent m, long position) {
    tally.piggybackBytes += PIGGYBACK_BYTES;
  }

  @Override public void onReceive(MessageEvent m, long position) {
    received.get(m.dst()).add(m.id());
    tally.loggedMessages++;
    tally.loggedBytes += m.bytes();
    tally.storageWrite(m.receiveTime(), m.bytes());
    tally.blockingSeconds += cost.logWriteSeconds();
  }

  @Override public RecoveryPlan recover(Failure f, long position) {
    List<Restore> restores = new ArrayList<>();
    List<Replay> replays = new ArrayList<>();
    for (int v = 0; v < scenario.vms(); v++) {
      if (!failedBy(f, v)) continue;
      Checkpoint c = latestUsable(v, f);
      restores.add(new Restore(v, c.cut(), c.time(), c.sourceAt(f), Cut.at(position)));
      for (int id : received.get(v)) {
        long rp = timeline.receivePos(id);
        // Logged synchronously before delivery: stable from the moment it was received.
        if (rp >= c.cut().receivesBefore() && rp < position) {
          replays.add(new Replay(id, Source.stable(scenario.messages().get(id).receiveTime())));
        }
      }
    }
    return new RecoveryPlan(f, position, restores, replays);
  }
}
