package org.vmqsc.evaluation.policy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.vmqsc.evaluation.Failure;
import org.vmqsc.evaluation.MessageEvent;
import org.vmqsc.evaluation.sim.Cut;
import org.vmqsc.evaluation.sim.RecoveryPlan;
import org.vmqsc.evaluation.sim.Restore;

/**
 * Blocking coordinated checkpointing: every base period a coordinator stops every VM, waits until the messages
 * already sent have arrived, lets every VM checkpoint, and resumes them all once every checkpoint is stable.
 * Channels are empty at the cut, so nothing is logged; any failure rolls every VM back to the last committed round.
 */
public final class CoordinatedBlocking extends AbstractPolicy {
  private final Map<Integer, MessageEvent> inFlight = new HashMap<>();
  private final List<Round> rounds = new ArrayList<>();

  private record Round(double start, long position, double committedAt) {}

  @Override public String name() { return "coordinated"; }

  @Override public void start(PolicyContext context) {
    super.start(context);
    rounds.add(new Round(0, 0, 0));
    scheduleRound(1);
  }

  private void scheduleRound(long k) {
    double t = k * scenario.basePeriod();
    if (t >= scenario.duration()) return;
    context.schedule(t, (time, pos) -> {
      round(time, pos);
      scheduleRound(k + 1);
    });
  }

  private void round(double time, long pos) {
    int n = scenario.vms();
    double latency = context.timeModel().latencySeconds();
    double drained = time;
    for (MessageEvent m : inFlight.values()) drained = Math.max(drained, m.receiveTime());
    double drain = drained - time;
    // request, acknowledgement, resume: one round trip and a half of control messages per VM.
    tally.controlMessages += 3L * n;
    Cut cut = new Cut(pos, pos, pos);
    double committed = time + latency + drain + cost.checkpointWriteSeconds() + latency;
    for (int v = 0; v < n; v++) {
      takeCheckpoint(v, rounds.size(), time, cut, false);
      tally.blockingSeconds += 3 * latency + drain + Math.max(cost.checkpointPauseSeconds(), cost.checkpointWriteSeconds());
    }
    rounds.add(new Round(time, pos, committed));
  }

  @Override public void onSend(MessageEvent m, long position) {
    inFlight.put(m.id(), m);
  }

  @Override public void onReceive(MessageEvent m, long position) {
    inFlight.remove(m.id());
  }

  @Override public RecoveryPlan recover(Failure f, long position) {
    Round last = rounds.get(0);
    for (Round r : rounds) if (r.committedAt() <= f.time()) last = r;
    List<Restore> restores = new ArrayList<>();
    Cut cut = last.position() == 0 ? Cut.at(0) : new Cut(last.position(), last.position(), last.position());
    for (int v = 0; v < scenario.vms(); v++) {
      restores.add(Restore.withoutReplay(v, cut, last.start(),
          org.vmqsc.evaluation.sim.Source.stable(last.committedAt())));
    }
    return new RecoveryPlan(f, position, restores, List.of());
  }
}
