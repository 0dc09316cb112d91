package org.vmqsc.evaluation.sim;

import java.util.List;
import org.vmqsc.evaluation.Failure;

/** What a protocol does for one failure: the VMs it rolls back and the messages it replays. */
public record RecoveryPlan(Failure failure, long failurePos, List<Restore> restores, List<Replay> replays) {
  public RecoveryPlan {
    restores = List.copyOf(restores);
    replays = List.copyOf(replays);
  }

  /** Seconds of execution the rolled-back VMs redo: from each restored checkpoint to the failure. */
  public double workLostSeconds() {
    double s = 0;
    for (Restore r : restores) s += failure.time() - r.checkpointTime();
    return s;
  }
}
