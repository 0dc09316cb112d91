package org.vmqsc.sim;

import static org.junit.Assert.assertTrue;

import java.util.SplittableRandom;
import org.junit.Test;

/**
 * Random groups (2-32 VMs, 1-8 hosts, SI and MI_2..MI_4 mixes), random traffic, drift, delays, checkpoint, flush,
 * detection and restart times, and failure schedules, failures during recovery included, both early-index
 * policies and both guest kinds, and a few live migrations. The oracle checks every recovery. Prints
 * {@code oracle: <N> recoveries checked, <V> violations}.
 *
 * <p>Seeded: {@code -Dvmqsc.seed=N} replays a whole run, otherwise a fresh seed is drawn and printed. A failure
 * names its trial's scenario and the run's seed. (junit-quickcheck 1.0, which drew these parameters before, gives
 * every parameter a fresh unseeded source of randomness, so its runs could not be replayed.)
 */
public class RecoveryOraclePropertyTest {

  private static final int TRIALS = 1700;

  /** One trial's scenario, drawn from the trial's own split of the run's random source. */
  static SimConfig draw(SplittableRandom r) {
    SimConfig.Builder drawn = RandomScenario.builder(r.nextLong(), r.nextInt(2, 33), r.nextInt(1, 9), r.nextDouble(),
            r.nextInt(2, 5), r.nextDouble(0.3, 10), r.nextDouble(0, 0.2), r.nextDouble(0, 400), r.nextInt(0, 13),
            r.nextInt(0, 11), r.nextBoolean(), r.nextBoolean(), r.nextBoolean())
        // Timings in base periods: checkpoints and flushes that outlast a period, slow or instant detection.
        .checkpointDuration(r.nextDouble(0, 1.2) * 1000).flushDelay(r.nextDouble(0, 1.2) * 1000)
        .detectionDelay(r.nextDouble(0, 0.8) * 1000).restartPause(r.nextDouble(0, 0.8) * 1000);
    // A few live migrations among the failures (MigrationOracleTest has more).
    return drawn.migrations(drawn.hosts > 1 ? r.nextInt(0, 5) : 0).build();
  }

  /** Trial {@code trial} of the property run with {@code seed}. */
  static SimConfig trial(long seed, int trial) {
    SplittableRandom trials = new SplittableRandom(seed);
    for (int t = 0; t < trial; t++) trials.split();
    return draw(trials.split());
  }

  @Test public void everyRecoveryIsConsistent() {
    OracleRuns runs = new OracleRuns("RecoveryOraclePropertyTest");
    SplittableRandom trials = new SplittableRandom(runs.seed);
    for (int trial = 0; trial < TRIALS; trial++) runs.run(trial, draw(trials.split()));
    System.out.printf("oracle: %d recoveries checked, 0 violations (%d recovered states checked latest by brute force,"
        + " %d of them not the latest; %d live migrations; %d VMs rebuilt past their stable state, %d sends made"
        + " again, %d receipts taken again from them)%n", runs.recoveries, runs.latestStateChecks, runs.notLatest,
        runs.migrations, runs.rebuiltPastStableState, runs.sentAgain, runs.takenFromSendsMadeAgain);
    if (runs.firstNotLatest != null) System.out.println("oracle: first plan not the latest: " + runs.firstNotLatest);
    // Maximality is required as much as safety: no plan may go back further than a consistent recoverable state.
    assertTrue("seed " + runs.seed + ": " + runs.notLatest + " plans not the latest; first: " + runs.firstNotLatest,
        runs.notLatest == 0);
    assertTrue("the default run must check at least 10,000 recoveries, checked " + runs.recoveries,
        runs.recoveries >= 10_000);
    assertTrue("causal logging must be under the oracle: no VM was rebuilt past its stable state",
        runs.rebuiltPastStableState > 0 && runs.sentAgain > 0);
    assertTrue("no rebuilt VM took a message another one's re-execution made again",
        runs.takenFromSendsMadeAgain > 0);
  }
}
