package org.vmqsc.server.failure;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.Test;
import org.vmqsc.server.ManualClock;
import org.vmqsc.server.failure.FailureDetector.Beat;

public class FailureDetectorTest {


  private static final Duration L = Duration.ofSeconds(10);
  private final ManualClock clock = new ManualClock();
  private final FailureDetector detector = new FailureDetector(clock, L);

  /** A heartbeat from a host that follows the protocol: it carries the host's epoch at the manager. */
  private Beat beat(String host) {
    return detector.heartbeat(host, detector.epoch(host)).beat();
  }

  @Test public void aHostExpiresExactlyWhenItsLeaseEndsNotBefore() {
    assertEquals(Beat.JOINED, beat("h1"));
    assertEquals(Optional.of(clock.instant().plus(L)), detector.leaseEnd("h1"));
    clock.advance(L.minusNanos(1));
    assertEquals(List.of(), detector.expired());
    assertFalse(detector.isFailed("h1"));
    clock.advance(Duration.ofNanos(1));
    assertEquals(List.of("h1"), detector.expired());
    assertTrue(detector.isFailed("h1"));
  }

  @Test public void eachExpiryIsReportedOnce() {
    beat("h1");
    beat("h2");
    clock.advance(L.plusSeconds(5));
    assertEquals(List.of("h1", "h2"), detector.expired());
    assertEquals(List.of(), detector.expired());
    clock.advance(L.multipliedBy(3));
    assertEquals(List.of(), detector.expired());
  }

  @Test public void heartbeatsRenewTheLeaseFromTheirReceipt() {
    beat("h1");
    for (int i = 0; i < 20; i++) {
      clock.advance(L.minusMillis(1));
      assertEquals(Beat.RENEWED, beat("h1"));
      assertEquals(List.of(), detector.expired());
    }
    clock.advance(L.minusMillis(1));
    assertEquals(List.of(), detector.expired());
    clock.advance(Duration.ofMillis(1));
    assertEquals(List.of("h1"), detector.expired());
  }

  @Test public void expiriesComeInTheOrderLeasesEnded() {
    beat("b");
    clock.advance(Duration.ofSeconds(1));
    beat("a");
    clock.advance(L.multipliedBy(2));
    assertEquals(List.of("b", "a"), detector.expired());
  }

  @Test public void aFailedHostThatHeartbeatsAgainRejoins() {
    beat("h1");
    clock.advance(L);
    assertEquals(List.of("h1"), detector.expired());
    clock.advance(Duration.ofSeconds(30));
    assertEquals(Beat.REJOINED, beat("h1"));
    assertFalse(detector.isFailed("h1"));
    assertEquals(List.of("h1"), detector.rejoined());
    assertEquals(List.of(), detector.rejoined());
    assertEquals(List.of(), detector.expired());
    assertEquals(Beat.RENEWED, beat("h1"));
    clock.advance(L);
    assertEquals("it can fail again", List.of("h1"), detector.expired());
  }

  @Test public void aHeartbeatAfterTheLeaseEndedIsFencedEvenBeforeExpiredIsAsked() {
    beat("h1");
    clock.advance(L);
    FailureDetector.Answer late = detector.heartbeat("h1", 0);
    assertEquals("no grace once the lease ended", Beat.FENCED, late.beat());
    assertFalse(late.renewed());
    assertEquals(1, late.epoch());
    assertTrue(detector.isFailed("h1"));
    assertEquals("the failure is still reported, once", List.of("h1"), detector.expired());
    assertEquals(List.of(), detector.expired());
    assertEquals(List.of(), detector.rejoined());
  }

  @Test public void heartbeatsOfAnEndedEpochRenewNothingEvenAfterTheRejoin() {
    beat("h1");
    clock.advance(L);
    assertEquals(List.of("h1"), detector.expired());
    assertEquals(1, detector.epoch("h1"));
    assertEquals(Beat.FENCED, detector.heartbeat("h1", 0).beat());
    assertTrue(detector.isFailed("h1"));
    assertEquals(Beat.REJOINED, detector.heartbeat("h1", 1).beat());
    clock.advance(L.minusSeconds(1));
    assertEquals("a delayed heartbeat of the old epoch", Beat.FENCED, detector.heartbeat("h1", 0).beat());
    clock.advance(Duration.ofSeconds(1));
    assertEquals("it renewed nothing", List.of("h1"), detector.expired());
    assertEquals(2, detector.epoch("h1"));
    assertThrows(IllegalArgumentException.class, () -> detector.heartbeat("h1", 7));
  }

  @Test public void expectedHostsGetAFullLeaseFromTheManagersStart() {
    clock.advance(Duration.ofHours(1));
    detector.expect("h1");
    detector.expect("h2");
    assertEquals(Set.of("h1", "h2"), detector.knownHosts());
    clock.advance(L.minusNanos(1));
    assertEquals("its first heartbeat to this manager", Beat.JOINED, beat("h1"));
    assertEquals(List.of(), detector.expired());
    clock.advance(Duration.ofNanos(1));
    assertEquals(List.of("h2"), detector.expired());
    detector.expect("h1");
    assertEquals("expecting a known host changes nothing", Optional.of(clock.instant().plus(L).minusNanos(1)),
        detector.leaseEnd("h1"));
  }

  @Test public void aRestartedManagerLearnsAnExpectedHostsEpochFromItsFirstHeartbeat() {
    detector.expect("h1");
    detector.expect("h2");
    assertEquals(new FailureDetector.Answer(Beat.JOINED, 4), detector.heartbeat("h1", 4));
    assertEquals(Beat.RENEWED, detector.heartbeat("h1", 4).beat());
    assertEquals(Beat.FENCED, detector.heartbeat("h1", 3).beat());
    clock.advance(L);
    assertEquals(List.of("h1", "h2"), detector.expired());
    // h2 was declared failed before it was heard: whatever epoch it runs in, it must stop and rejoin after it.
    FailureDetector.Answer late = detector.heartbeat("h2", 9);
    assertEquals(new FailureDetector.Answer(Beat.FENCED, 10), late);
    assertEquals(Beat.REJOINED, detector.heartbeat("h2", 10).beat());
  }

  @Test public void aHostDeclaredFailedIsReportedOnceAndFenced() {
    beat("h1");
    detector.declareFailed("h1");
    detector.declareFailed("h1");
    assertTrue(detector.isFailed("h1"));
    assertEquals(List.of("h1"), detector.expired());
    assertEquals(List.of(), detector.expired());
    assertEquals(Beat.FENCED, detector.heartbeat("h1", 0).beat());
    assertEquals(Beat.REJOINED, detector.heartbeat("h1", 1).beat());
    detector.declareFailed("unknown"); // nothing to fail
    assertEquals(List.of(), detector.expired());
  }

  @Test public void forgottenHostsAreNeitherKnownNorReported() {
    beat("h1");
    clock.advance(L);
    detector.forget("h1");
    assertEquals(List.of(), detector.expired());
    assertEquals(Set.of(), detector.knownHosts());
    assertEquals(Optional.empty(), detector.leaseEnd("h1"));
    assertEquals(Beat.JOINED, beat("h1"));
  }

  @Test public void badArgumentsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new FailureDetector(clock, Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> detector.heartbeat(" ", 0));
    assertThrows(IllegalArgumentException.class, () -> detector.expect(null));
  }
}
