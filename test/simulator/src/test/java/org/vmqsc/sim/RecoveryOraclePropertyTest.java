package org.vmqsc.sim;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.pholser.junit.quickcheck.Property;
import com.pholser.junit.quickcheck.generator.InRange;
import com.pholser.junit.quickcheck.runner.JUnitQuickcheck;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.AfterClass;
import org.junit.runner.RunWith;

/**
 * Random groups (2-32 VMs, 1-8 hosts, SI and MI_2..MI_4 mixes), random traffic, drift, delays, checkpoint, flush,
 * detection and restart times, and failure schedules, failures during recovery included. The oracle checks every recovery; any violation fails the run
 * with its seed and trace. Prints {@code oracle: <N> recoveries checked, <V> violations}.
 */
@RunWith(JUnitQuickcheck.class)
public class RecoveryOraclePropertyTest {

  private static final AtomicLong RECOVERIES = new AtomicLong();
  private static final AtomicLong VIOLATIONS = new AtomicLong();
  private static final AtomicLong MINIMALITY = new AtomicLong();

  @Property(trials = 1700)
  public void everyRecoveryIsConsistent(long seed,
                                        @InRange(minInt = 2, maxInt = 32) int vms,
                                        @InRange(minInt = 1, maxInt = 8) int hosts,
                                        @InRange(minDouble = 0, maxDouble = 1) double siShare,
                                        @InRange(minInt = 2, maxInt = 4) int maxK,
                                        @InRange(minDouble = 0.3, maxDouble = 10) double rate,
                                        @InRange(minDouble = 0, maxDouble = 0.2) double drift,
                                        @InRange(minDouble = 0, maxDouble = 400) double delay,
                                        @InRange(minInt = 0, maxInt = 12) int vmFailures,
                                        @InRange(minInt = 0, maxInt = 10) int hostFailures,
                                        boolean duringRecovery,
                                        boolean forceEarly,
                                        boolean realGuests,
                                        @InRange(minDouble = 0, maxDouble = 1.2) double checkpointDuration,
                                        @InRange(minDouble = 0, maxDouble = 1.2) double flushDelay,
                                        @InRange(minDouble = 0, maxDouble = 0.8) double detectionDelay,
                                        @InRange(minDouble = 0, maxDouble = 0.8) double restartPause) {
    // Timings in base periods: checkpoints and flushes that outlast a period, slow or instant detection.
    SimConfig config = RandomScenario.builder(seed, vms, hosts, siShare, maxK, rate, drift, delay, vmFailures,
            hostFailures, duringRecovery, forceEarly, realGuests)
        .checkpointDuration(checkpointDuration * 1000).flushDelay(flushDelay * 1000)
        .detectionDelay(detectionDelay * 1000).restartPause(restartPause * 1000)
        .build();
    try {
      SimReport report = new Simulator(config, EventSink.none()).run();
      RECOVERIES.addAndGet(report.recoveriesChecked);
      MINIMALITY.addAndGet(report.minimalityChecks);
    } catch (RuntimeException | AssertionError v) {
      VIOLATIONS.incrementAndGet();
      throw v;
    }
  }

  @AfterClass
  public static void summary() {
    System.out.printf("oracle: %d recoveries checked, %d violations (%d rollback sets checked minimal by brute force)%n",
        RECOVERIES.get(), VIOLATIONS.get(), MINIMALITY.get());
    assertEquals("oracle violations", 0, VIOLATIONS.get());
    assertTrue("the default run must check at least 10,000 recoveries, checked " + RECOVERIES.get(),
        RECOVERIES.get() >= 10_000);
  }
}
