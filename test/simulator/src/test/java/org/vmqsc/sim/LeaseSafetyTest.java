package org.vmqsc.sim;

import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Random;
import org.junit.Test;
import org.vmqsc.agent.node.LeaseKeeper;
import org.vmqsc.server.failure.FailureDetector;

/**
 * The host side against the manager's detector, on clocks running at different rates, with random heartbeat
 * timings, delays, losses and hangs: whenever the manager declares the host failed, the host had stopped its VMs
 * strictly before, in real time, and no later answer lets it run them again.
 */
public class LeaseSafetyTest {

  private static final Duration L = Duration.ofSeconds(5);
  private static final double RHO = 1e-3;
  private static final Duration STOP_TIME = Duration.ofMillis(1);
  private static final Instant EPOCH = Instant.parse("2026-01-01T00:00:00Z");

  /** A clock that runs at {@code rate} of real time (in nanoseconds since the trial's start). */
  private static final class DriftingClock extends Clock {
    private final long[] realNanos;
    private final double rate;
    private final long offsetNanos;

    DriftingClock(long[] realNanos, double rate, long offsetNanos) {
      this.realNanos = realNanos;
      this.rate = rate;
      this.offsetNanos = offsetNanos;
    }

    @Override public Instant instant() {
      return EPOCH.plusNanos(offsetNanos + (long) Math.floor(realNanos[0] * rate));
    }

    /** The real time (nanoseconds) at which this clock shows {@code t}: the earliest, to be conservative. */
    double realAt(Instant t) {
      return (Duration.between(EPOCH, t).toNanos() - offsetNanos) / rate;
    }

    @Override public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override public Clock withZone(ZoneId zone) {
      return this;
    }
  }

  private record Delivery(long at, boolean toManager, long seq, long epoch, boolean renewed) {}

  @Test public void theHostStopsBeforeTheManagerDeclaresItFailed() {
    Random random = new Random(20261129);
    int failures = 0;
    int trials = 400;
    for (int trial = 0; trial < trials; trial++) {
      failures += trial(random, trial) ? 1 : 0;
    }
    assertTrue("most trials end in a failure (" + failures + ")", failures > trials / 2);
  }

  /** Returns whether the manager declared the host failed at least once. */
  private static boolean trial(Random random, int trial) {
    long[] real = {0};
    DriftingClock hostClock = new DriftingClock(real, 1 - RHO + 2 * RHO * random.nextDouble(),
        random.nextInt(1_000_000_000));
    DriftingClock managerClock = new DriftingClock(real, 1 - RHO + 2 * RHO * random.nextDouble(),
        random.nextInt(1_000_000_000));
    LeaseKeeper host = new LeaseKeeper(hostClock, L, RHO, STOP_TIME);
    FailureDetector manager = new FailureDetector(managerClock, L);
    PriorityQueue<Delivery> wire = new PriorityQueue<>((a, b) -> Long.compare(a.at, b.at));
    double loss = random.nextDouble() * 0.5;
    long maxDelay = (long) (random.nextDouble() * 3e9);
    long period = 200_000_000L + (long) (random.nextDouble() * 3e9);
    long nextBeat = 0;
    long hangUntil = -1;
    /** By epoch: the real time the manager declared the host failed in it. */
    Map<Long, Double> failedAt = new HashMap<>();
    /** By epoch: the latest real time until which the host held a lease in it. */
    Map<Long, Double> hostRunsUntil = new HashMap<>();
    long end = 200_000_000_000L;
    while (real[0] < end) {
      real[0] += 1 + random.nextInt(50_000_000);
      while (!wire.isEmpty() && wire.peek().at <= real[0]) {
        Delivery d = wire.poll();
        long now = real[0];
        real[0] = d.at;
        if (d.toManager) {
          FailureDetector.Answer answer = watch(manager, managerClock, failedAt,
              () -> manager.heartbeat("h", d.epoch));
          if (random.nextDouble() >= loss) {
            wire.add(new Delivery(d.at + (long) (random.nextDouble() * maxDelay), false, d.seq, answer.epoch(),
                answer.renewed()));
          }
        } else {
          host.answered(d.seq, d.renewed, d.epoch);
          long epoch = host.epoch();
          host.stopDeadline().ifPresent(t -> hostRunsUntil.merge(epoch, hostClock.realAt(t), Math::max));
        }
        real[0] = now;
      }
      if (host.isFenced() && random.nextInt(20) == 0) host.rejoin(); // it dropped the recovered VMs
      if (hangUntil < 0 && random.nextInt(400) == 0) hangUntil = real[0] + (long) (random.nextDouble() * 3 * 5e9);
      if (hangUntil >= 0 && real[0] >= hangUntil) hangUntil = -1;
      if (hangUntil < 0 && real[0] >= nextBeat) {
        long epoch = host.epoch();
        long seq = host.heartbeatSent();
        if (random.nextDouble() >= loss) {
          wire.add(new Delivery(real[0] + (long) (random.nextDouble() * maxDelay), true, seq, epoch, false));
        }
        nextBeat = real[0] + period / 2 + (long) (random.nextDouble() * period);
      }
      watch(manager, managerClock, failedAt, manager::expired);
    }
    for (Map.Entry<Long, Double> runs : hostRunsUntil.entrySet()) {
      Double failed = failedAt.get(runs.getKey());
      if (failed != null && runs.getValue() >= failed) {
        throw new AssertionError("trial " + trial + ": in epoch " + runs.getKey() + " the host may run its VMs until "
            + runs.getValue() + " ns but the manager declared it failed at " + failed + " ns");
      }
    }
    return !failedAt.isEmpty();
  }

  /** Runs a manager call and, if it declared the host failed, records when (the lease's end, never later). */
  private static <T> T watch(FailureDetector manager, DriftingClock managerClock, Map<Long, Double> failedAt,
      java.util.function.Supplier<T> call) {
    long epoch = manager.epoch("h");
    Optional<Instant> leaseEnd = manager.leaseEnd("h");
    boolean wasFailed = manager.isFailed("h");
    T result = call.get();
    if (manager.epoch("h") > epoch) {
      assertFalse("declared failed twice in one epoch", wasFailed);
      assertFalse("declared failed before the lease ended", managerClock.instant().isBefore(leaseEnd.orElseThrow()));
      failedAt.put(epoch, managerClock.realAt(leaseEnd.get()));
    }
    return result;
  }
}
