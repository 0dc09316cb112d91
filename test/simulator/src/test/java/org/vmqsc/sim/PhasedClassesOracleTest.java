package org.vmqsc.sim;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.Test;
import org.vmqsc.protocol.VmClass;

/**
 * The property test's random scenarios with every MI_k VM given a random phase (checkpoints at n mod k == φ), so
 * the VMs of one group checkpoint at different boundaries. The oracle checks every recovery, and the brute force
 * that no plan goes back further than it must. Seeded like the property test ({@code -Dvmqsc.seed=N}).
 */
public class PhasedClassesOracleTest {

  private static final int TRIALS = 400;

  static SimConfig phased(SimConfig c, SplittableRandom r) {
    List<VmClass> classes = new ArrayList<>();
    for (VmClass k : c.classes()) classes.add(k.isSingleInterval() ? k : VmClass.mi(k.period(), r.nextInt(k.period())));
    return new SimConfig(c.seed(), c.hosts(), classes, c.basePeriod(), c.periods(), c.workload(), c.maxDrift(),
        c.sameHostDelay(), c.crossHostDelay(), c.checkpointDuration(), c.flushDelay(), c.detectionDelay(),
        c.restartPause(), c.repairDelay(), c.vmFailures(), c.hostFailures(), c.failuresDuringRecovery(),
        c.earlyIndexPolicy(), c.deterministicGuests(), c.migrations());
  }

  @Test public void anMiVmCheckpointsAtItsPhase() {
    java.io.StringWriter events = new java.io.StringWriter();
    SimConfig config = SimConfig.builder().seed(3).hosts(2).classes(List.of(VmClass.SI, VmClass.mi(2, 1)))
        .periods(9).vmFailures(0).hostFailures(0).build();
    new Simulator(config, new EventSink(events)).run();
    List<Long> checkpoints = new ArrayList<>();
    for (String line : events.toString().split("\n")) {
      com.google.gson.JsonObject e = com.google.gson.JsonParser.parseString(line).getAsJsonObject();
      if (e.get("event").getAsString().equals("checkpoint") && e.get("vm").getAsInt() == 1
          && !e.get("forced").getAsBoolean() && e.get("index").getAsLong() > 0) { // 0: when it joined
        checkpoints.add(e.get("index").getAsLong());
      }
    }
    assertTrue(checkpoints.toString(), checkpoints.size() >= 4);
    for (long n : checkpoints) assertEquals(checkpoints.toString(), 1, n % 2);
  }

  @Test public void everyRecoveryWithPhasedMiClassesIsConsistentAndTheLatest() {
    String given = System.getProperty("vmqsc.seed");
    long seed = given == null || given.isBlank() ? new SplittableRandom().nextLong() : Long.parseLong(given.trim());
    System.out.println("PhasedClassesOracleTest: seed " + seed + " (replay with -Dvmqsc.seed=" + seed + ")");
    SplittableRandom trials = new SplittableRandom(seed ^ 0x9E3779B97F4A7C15L);
    long recoveries = 0;
    long latest = 0;
    long notLatest = 0;
    String firstNotLatest = null;
    for (int trial = 0; trial < TRIALS; trial++) {
      SplittableRandom r = trials.split();
      SimConfig config = phased(RecoveryOraclePropertyTest.draw(r.split()), r);
      try {
        SimReport report = new Simulator(config, EventSink.none()).run();
        recoveries += report.recoveriesChecked;
        latest += report.latestStateChecks;
        notLatest += report.notLatest;
        if (firstNotLatest == null && report.firstNotLatest != null) {
          firstNotLatest = "trial " + trial + " (" + config + "): " + report.firstNotLatest;
        }
      } catch (RuntimeException | AssertionError v) {
        throw new AssertionError("trial " + trial + " of seed " + seed + " (replay with -Dvmqsc.seed=" + seed
            + "): " + config + ": " + v.getMessage(), v);
      }
    }
    System.out.printf("oracle, phased MI classes: %d recoveries checked, 0 violations (%d recovered states checked"
        + " latest by brute force, %d of them not the latest)%n", recoveries, latest, notLatest);
    assertEquals("seed " + seed + ": first plan not the latest: " + firstNotLatest, 0, notLatest);
    assertTrue("too few recoveries checked: " + recoveries, recoveries >= 2_000);
  }
}
