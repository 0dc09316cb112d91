package org.vmqsc.plugin.host;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

/** The hosts' clock in a plugin test: it stands still until the test moves it. */
public final class TestClock extends Clock {

  private final AtomicLong millis;

  public TestClock(long startMillis) {
    this.millis = new AtomicLong(startMillis);
  }

  public long millis() {
    return millis.get();
  }

  public void advance(long byMillis) {
    millis.addAndGet(byMillis);
  }

  @Override public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override public Clock withZone(ZoneId zone) {
    return this;
  }

  @Override public Instant instant() {
    return Instant.ofEpochMilli(millis.get());
  }
}
