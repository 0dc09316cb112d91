package org.vmqsc.evaluation.policy;

import org.vmqsc.evaluation.Failure;
import org.vmqsc.evaluation.sim.Cut;
import org.vmqsc.evaluation.sim.Source;

/** A checkpoint one VM took: its index (if the protocol numbers them), the state it holds, and when it is stable. */
public record Checkpoint(int vm, long index, double time, Cut cut, boolean forced, double stableAt, int host) {

  /** Usable after {@code failure}: already on stable storage, or still on a host the failure spared. */
  public boolean usableAfter(Failure failure) {
    return stableAt <= failure.time() || !(failure.kind() == Failure.Kind.HOST && failure.target() == host);
  }

  /** Where recovery reads it from at that failure. */
  public Source sourceAt(Failure failure) {
    return stableAt <= failure.time() ? Source.stable(stableAt) : Source.host(host);
  }
}
