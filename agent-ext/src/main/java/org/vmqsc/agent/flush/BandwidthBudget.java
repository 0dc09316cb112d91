package org.vmqsc.agent.flush;

import java.util.function.LongSupplier;

/**
 * A token bucket: lets through at most {@code bytesPerSecond} on average, with bursts of up to one second's worth,
 * so flushing checkpoints never takes more of the storage link than the user allowed.
 */
public final class BandwidthBudget {

  /** Waits for a number of nanoseconds; replaced in tests by a clock that just moves on. */
  @FunctionalInterface
  public interface Sleeper {
    void sleepNanos(long nanos) throws InterruptedException;
  }

  private final long bytesPerSecond;
  private final LongSupplier nanoClock;
  private final Sleeper sleeper;
  private double tokens;
  private long lastRefillNanos;

  /** @param bytesPerSecond the average rate; 0 or less means unlimited */
  public BandwidthBudget(long bytesPerSecond) {
    this(bytesPerSecond, System::nanoTime, nanos -> Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000)));
  }

  public BandwidthBudget(long bytesPerSecond, LongSupplier nanoClock, Sleeper sleeper) {
    this.bytesPerSecond = bytesPerSecond;
    this.nanoClock = nanoClock;
    this.sleeper = sleeper;
    this.tokens = Math.max(0, bytesPerSecond);
    this.lastRefillNanos = nanoClock.getAsLong();
  }

  public static BandwidthBudget unlimited() {
    return new BandwidthBudget(0);
  }

  public long bytesPerSecond() {
    return bytesPerSecond;
  }

  /** Blocks until {@code bytes} may be sent. */
  public synchronized void acquire(long bytes) throws InterruptedException {
    if (bytesPerSecond <= 0) {
      return;
    }
    refill();
    tokens -= bytes;  // may go negative for a chunk larger than the bucket: the debt is waited off
    while (tokens < 0) {
      sleeper.sleepNanos(Math.max(1_000, (long) (-tokens * 1e9 / bytesPerSecond)));
      refill();
    }
  }

  private void refill() {
    long now = nanoClock.getAsLong();
    tokens = Math.min(bytesPerSecond, tokens + (now - lastRefillNanos) * (double) bytesPerSecond / 1e9);
    lastRefillNanos = now;
  }
}
