package org.vmqsc.server.persistence;

import java.time.Duration;

/**
 * How long {@link CatalogDatabase#inTransaction} keeps retrying a transaction that failed for a passing reason,
 * and how long it waits between tries (doubling from {@code firstBackoff} up to {@code maxBackoff}).
 */
public record RetryPolicy(Duration maxWait, Duration firstBackoff, Duration maxBackoff) {

  /** Long enough to ride out a database restart or a failover. */
  public static final RetryPolicy DEFAULT =
      new RetryPolicy(Duration.ofSeconds(60), Duration.ofMillis(20), Duration.ofSeconds(1));

  public RetryPolicy {
    if (maxWait.isNegative() || firstBackoff.isNegative() || maxBackoff.compareTo(firstBackoff) < 0) {
      throw new IllegalArgumentException("retry policy needs 0 <= firstBackoff <= maxBackoff and maxWait >= 0");
    }
  }

  Duration backoff(int attempt) {
    long millis = firstBackoff.toMillis() << Math.min(attempt - 1, 20);
    return Duration.ofMillis(Math.min(millis, maxBackoff.toMillis()));
  }
}
