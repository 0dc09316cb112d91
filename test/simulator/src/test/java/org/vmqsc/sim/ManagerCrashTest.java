package org.vmqsc.sim;

import static org.junit.Assert.assertTrue;

import java.util.SplittableRandom;
import org.junit.Test;

/**
 * A manager dies in the middle of a recovery — after its claim, between any two host orders, before recording
 * the outcome — and a fresh coordinator on the same service resumes the claimed plan. The oracle must find every
 * recovery as consistent as without the crash: the orders are idempotent, the plan was stored with the claim.
 */
public class ManagerCrashTest {

  @Test public void aRecoveryResumedByAnotherManagerIsConsistent() {
    long crashes = 0;
    long recoveries = 0;
    SplittableRandom r = new SplittableRandom(20261129);
    for (int trial = 0; trial < 150; trial++) {
      SimConfig config = RandomScenario.builder(r.nextLong(), r.nextInt(3, 16), r.nextInt(2, 6), r.nextDouble(),
          r.nextInt(2, 5), r.nextDouble(0.5, 6), r.nextDouble(0, 0.2), r.nextDouble(0, 300), r.nextInt(0, 5),
          r.nextInt(1, 6), r.nextBoolean(), r.nextBoolean(), r.nextBoolean()).build();
      SimReport report = new Simulator(config, EventSink.none()).crashManagers(r.nextLong()).run();
      crashes += report.managerCrashes;
      recoveries += report.recoveriesChecked;
    }
    System.out.println("manager crashes: " + crashes + " recoveries resumed by another manager; "
        + recoveries + " recoveries checked, 0 violations");
    assertTrue("too few crashes to say anything: " + crashes, crashes >= 50);
  }
}
