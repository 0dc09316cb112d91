package org.vmqsc.server;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** A clock the test moves by hand: leases and timestamps without sleeping. */
public final class ManualClock extends Clock {
  private Instant now = Instant.parse("2026-01-01T00:00:00Z");

  public void advance(Duration d) {
    now = now.plus(d);
  }

  @Override public Instant instant() {
    return now;
  }

  @Override public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override public Clock withZone(ZoneId zone) {
    return this;
  }
}
