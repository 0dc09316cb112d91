package org.vmqsc.sim;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.SplittableRandom;
import org.junit.Test;

/**
 * Live migrations under the recovery oracle: random groups with random migrations, host and VM failures, hosts
 * that fail at every step of a migration, and migrations inside recoveries' detection and restart windows. The
 * oracle judges each run: nothing lost, nothing delivered twice, every channel FIFO, every recovery consistent,
 * and every migrated VM checkpointing on its new host. Seeded like {@link RecoveryOraclePropertyTest}.
 */
public class MigrationOracleTest {

  private static final int TRIALS = 400;

  @Test public void migrationsLoseNothingAndRecoveriesStayConsistent() {
    String given = System.getProperty("vmqsc.seed");
    long seed = given == null || given.isBlank() ? new SplittableRandom().nextLong() : Long.parseLong(given.trim());
    System.out.println("MigrationOracleTest: seed " + seed + " (replay with -Dvmqsc.seed=" + seed + ")");
    SplittableRandom trials = new SplittableRandom(seed);
    SimReport total = new SimReport();
    for (int trial = 0; trial < TRIALS; trial++) {
      SplittableRandom r = trials.split();
      SimConfig config = RandomScenario.builder(r.nextLong(), r.nextInt(2, 17), r.nextInt(2, 7), r.nextDouble(),
              r.nextInt(2, 5), r.nextDouble(0.3, 10), r.nextDouble(0, 0.2), r.nextDouble(0, 400), r.nextInt(0, 5),
              r.nextInt(0, 5), r.nextBoolean(), r.nextBoolean(), r.nextBoolean())
          .checkpointDuration(r.nextDouble(0, 0.5) * 1000).flushDelay(r.nextDouble(0, 0.5) * 1000)
          .detectionDelay(r.nextDouble(0, 0.8) * 1000).restartPause(r.nextDouble(0, 0.8) * 1000)
          .migrations(r.nextInt(1, 13))
          .build();
      try {
        total.add(new Simulator(config, EventSink.none()).failDuringMigrations(r.nextLong()).run());
      } catch (RuntimeException | AssertionError v) {
        throw new AssertionError("trial " + trial + " of seed " + seed + " (replay with -Dvmqsc.seed=" + seed
            + "): " + config + ": " + v.getMessage(), v);
      }
    }
    System.out.printf("oracle: %d migrations (%d cut short by a host failure, %d not made: %d with writes never all"
            + " stable), %d recoveries checked, %d migrated VMs checkpointed on their new host, %d frames dropped at an"
            + " old host, 0 violations%n",
        total.migrations, total.migrationsFailed, total.migrationsSkipped, total.migrationsNeverQuiet,
        total.recoveriesChecked,
        total.boundariesAfterMigration, total.movedDropped);
    assertTrue("most drawn migrations must happen, made " + total.migrations, total.migrations > 1000);
    assertTrue("host failures must cut some short, cut " + total.migrationsFailed, total.migrationsFailed > 50);
    assertTrue("frames must reach old hosts, " + total.movedDropped, total.movedDropped > 0);
  }

  @Test public void noMigrationsByDefault() {
    SimReport report = new Simulator(SimConfig.builder().seed(3).build(), EventSink.none()).run();
    assertEquals(0, report.migrations + report.migrationsFailed + report.migrationsSkipped);
  }
}
