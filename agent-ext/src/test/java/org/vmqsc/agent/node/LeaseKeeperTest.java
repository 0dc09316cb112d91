package org.vmqsc.agent.node;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Optional;
import org.junit.Test;

public class LeaseKeeperTest {

  /** A clock the test moves by hand. */
  static final class FakeClock extends Clock {
    private Instant now = Instant.parse("2026-01-01T00:00:00Z");

    void advance(Duration d) {
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

  private static final Duration L = Duration.ofSeconds(10);
  private final FakeClock clock = new FakeClock();

  @Test public void theMarginCoversClockRatesAndTheStopTime() {
    LeaseKeeper keeper = new LeaseKeeper(clock, L, 1e-3, Duration.ofMillis(100));
    // L (1 - rho) / (1 + rho) = 10 s * 0.999 / 1.001 = 9.98002 s, minus 100 ms.
    assertEquals(9_880_019_980L, keeper.safeLength().toNanos(), 1);
    assertEquals(L.minus(keeper.safeLength()), keeper.margin());
    assertThrows(IllegalArgumentException.class, () -> new LeaseKeeper(clock, L, 0, Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> new LeaseKeeper(clock, L, 1, Duration.ofMillis(1)));
    assertThrows(IllegalArgumentException.class, () -> new LeaseKeeper(clock, L, 0, L));
  }

  @Test public void theHostStopsAtItsDeadlineCountedFromTheSend() {
    LeaseKeeper keeper = new LeaseKeeper(clock, L, 0, Duration.ofMillis(100));
    assertTrue("no lease before the first renewal", keeper.mustStop());
    Instant sent = clock.instant();
    long seq = keeper.heartbeatSent();
    clock.advance(Duration.ofSeconds(3)); // a slow acknowledgement
    keeper.answered(seq, true, 0);
    assertEquals(Optional.of(sent.plus(Duration.ofMillis(9_900))), keeper.stopDeadline());
    clock.advance(Duration.ofMillis(6_899));
    assertFalse(keeper.mustStop());
    clock.advance(Duration.ofMillis(1));
    assertTrue(keeper.mustStop());
  }

  @Test public void lateAndRepeatedAnswersNeverMoveTheDeadlineBack() {
    LeaseKeeper keeper = new LeaseKeeper(clock, L, 0, Duration.ofMillis(100));
    long first = keeper.heartbeatSent();
    clock.advance(Duration.ofSeconds(1));
    long second = keeper.heartbeatSent();
    keeper.answered(second, true, 0);
    Optional<Instant> deadline = keeper.stopDeadline();
    keeper.answered(first, true, 0);
    keeper.answered(second, true, 0);
    keeper.answered(99, true, 0);
    assertEquals(deadline, keeper.stopDeadline());
  }

  @Test public void aNewerEpochFencesTheHostUntilItRejoins() {
    LeaseKeeper keeper = new LeaseKeeper(clock, L, 0, Duration.ofMillis(100));
    keeper.answered(keeper.heartbeatSent(), true, 0);
    assertFalse(keeper.mustStop());
    long late = keeper.heartbeatSent();
    long later = keeper.heartbeatSent();
    keeper.answered(later, false, 1);
    assertTrue(keeper.isFenced());
    assertTrue(keeper.mustStop());
    assertEquals(Optional.empty(), keeper.stopDeadline());
    keeper.answered(late, true, 0);
    assertTrue("an overtaken renewal of the old epoch counts for nothing", keeper.mustStop());
    long stillOld = keeper.heartbeatSent();
    keeper.answered(stillOld, false, 1);
    assertTrue(keeper.mustStop());
    keeper.rejoin();
    assertEquals(1, keeper.epoch());
    assertFalse(keeper.isFenced());
    assertTrue("no lease before the first renewal in the new epoch", keeper.mustStop());
    keeper.answered(keeper.heartbeatSent(), true, 1);
    assertFalse(keeper.mustStop());
  }

  @Test public void aRenewalThatArrivesAfterAFencingCountsForNothing() {
    LeaseKeeper keeper = new LeaseKeeper(clock, L, 0, Duration.ofMillis(100));
    long a = keeper.heartbeatSent();
    long b = keeper.heartbeatSent();
    keeper.answered(b, false, 1);
    keeper.answered(a, true, 0);
    assertTrue(keeper.mustStop());
  }
}
