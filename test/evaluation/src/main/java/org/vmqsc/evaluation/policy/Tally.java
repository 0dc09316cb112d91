package org.vmqsc.evaluation.policy;

import java.util.TreeMap;

/** The counters one protocol accumulates over one run; the harness turns them into {@code Metrics}. */
public final class Tally {
  public long basicCheckpoints;
  public long forcedCheckpoints;
  /** Distinct messages written to stable storage (message logs and recorded channel states). */
  public long loggedMessages;
  /** Bytes of messages written to stable storage; a message written from two hosts counts twice. */
  public long loggedBytes;
  public long controlMessages;
  public long piggybackBytes;
  /** VM-seconds a VM waits on the protocol (coordination, drains, synchronous log writes). */
  public double blockingSeconds;
  /** VM-seconds a VM is paused to take a checkpoint outside any blocking window. */
  public double pauseSeconds;
  /** Bytes written to stable storage (checkpoints and logs) per base period index. */
  private final TreeMap<Long, Long> storageBytesByPeriod = new TreeMap<>();
  private final double basePeriod;
  private long storageBytes;

  /** Every byte written to stable storage: checkpoints and logs. */
  public long storageBytes() { return storageBytes; }

  public Tally(double basePeriod) {
    this.basePeriod = basePeriod;
  }

  public void storageWrite(double time, long bytes) {
    storageBytes += bytes;
    // A write at boundary k belongs to period k even when k * T0 / T0 rounds to just below k.
    storageBytesByPeriod.merge((long) Math.floor(Math.max(0, time) / basePeriod + 1e-9), bytes, Long::sum);
  }

  public double peakStorageBytesPerSecond() {
    long peak = 0;
    for (long b : storageBytesByPeriod.values()) peak = Math.max(peak, b);
    return peak / basePeriod;
  }
}
