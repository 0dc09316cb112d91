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
    OracleRuns runs = new OracleRuns("PhasedClassesOracleTest");
    SplittableRandom trials = new SplittableRandom(runs.seed ^ 0x9E3779B97F4A7C15L);
    for (int trial = 0; trial < TRIALS; trial++) {
      SplittableRandom r = trials.split();
      runs.run(trial, phased(RecoveryOraclePropertyTest.draw(r.split()), r));
    }
    System.out.printf("oracle, phased MI classes: %d recoveries checked, 0 violations (%d recovered states checked"
        + " latest by brute force, %d of them not the latest)%n", runs.recoveries, runs.latestStateChecks,
        runs.notLatest);
    assertEquals("seed " + runs.seed + ": first plan not the latest: " + runs.firstNotLatest, 0, runs.notLatest);
    assertTrue("too few recoveries checked: " + runs.recoveries, runs.recoveries >= 2_000);
  }
}
