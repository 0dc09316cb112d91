package org.vmqsc.evaluation;

/**
 * What checkpoints and logs cost, to turn counts into failure-free overhead and storage bandwidth.
 *
 * @param checkpointPauseSeconds  how long a VM is paused for one (live) checkpoint
 * @param checkpointBytes         bytes one checkpoint writes to stable storage
 * @param stableBytesPerSecond    stable storage write bandwidth (a checkpoint is stable this long after it is taken)
 * @param logWriteSeconds         latency of one synchronous stable log write (a receiver waiting on it is blocked)
 */
public record CostModel(double checkpointPauseSeconds, long checkpointBytes, double stableBytesPerSecond,
                        double logWriteSeconds) {

  public static CostModel standard() {
    return new CostModel(0.3, 64L << 20, 200e6, 0.5e-3);
  }

  public CostModel {
    if (checkpointPauseSeconds < 0 || logWriteSeconds < 0) throw new IllegalArgumentException("costs must be >= 0");
    if (checkpointBytes < 0) throw new IllegalArgumentException("checkpoint size must be >= 0");
    if (stableBytesPerSecond <= 0) throw new IllegalArgumentException("stable storage bandwidth must be > 0");
  }

  public double checkpointWriteSeconds() {
    return checkpointBytes / stableBytesPerSecond;
  }
}
