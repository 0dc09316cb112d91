package org.vmqsc.evaluation.sim;

import java.util.List;
import org.vmqsc.evaluation.Failure;

/**
 * What a protocol does for one failure: the VMs it rolls back and the messages it replays.
 * {@code dropsDuplicates}: the receiving relay discards a message whose channel sequence number it has already
 * delivered, so replaying a message that is also still on the wire delivers it once, not twice.
 */
public record RecoveryPlan(Failure failure, long failurePos, List<Restore> restores, List<Replay> replays,
                           boolean dropsDuplicates) {
  public RecoveryPlan {
    restores = List.copyOf(restores);
    replays = List.copyOf(replays);
  }

  public RecoveryPlan(Failure failure, long failurePos, List<Restore> restores, List<Replay> replays) {
    this(failure, failurePos, restores, replays, false);
  }

  /** Seconds of execution the rolled-back VMs redo: from each restored checkpoint to the failure. */
  public double workLostSeconds() {
    double s = 0;
    for (Restore r : restores) s += failure.time() - r.checkpointTime();
    return s;
  }
}
