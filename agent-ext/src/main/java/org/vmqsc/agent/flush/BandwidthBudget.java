package org.vmqsc.agent.flush;

/**
 * A token bucket: lets through at most {@code bytesPerSecond} on average, with bursts of up to one second's worth,
 * so flushing checkpoints never takes more of the storage link than the user allowed.
 */
public final class BandwidthBudget {

  private final long bytesPerSecond;
  private double tokens;
  private long lastRefillNanos;

  /** @param bytesPerSecond the average rate; 0 or less means unlimited */
  public BandwidthBudget(long bytesPerSecond) {
    this.bytesPerSecond = bytesPerSecond;
    this.tokens = Math.max(0, bytesPerSecond);
    this.lastRefillNanos = System.nanoTime();
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
      long waitNanos = (long) (-tokens * 1e9 / bytesPerSecond);
      wait(Math.max(1, waitNanos / 1_000_000), (int) (waitNanos % 1_000_000));
      refill();
    }
  }

  private void refill() {
    long now = System.nanoTime();
    tokens = Math.min(bytesPerSecond, tokens + (now - lastRefillNanos) * (double) bytesPerSecond / 1e9);
    lastRefillNanos = now;
  }
}
