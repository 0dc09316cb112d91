package org.vmqsc.sim;

import static org.junit.Assert.assertTrue;

import java.util.SplittableRandom;
import org.junit.Test;

/**
 * A manager dies in the middle of a recovery — after its claim, between any two host orders, before recording
 * the outcome — and a fresh coordinator on the same service resumes the claimed plan. The oracle must find every
 * recovery as consistent as without the crash: the orders are idempotent, the plan was stored with the claim. In
 * about half the crashes a host the dead manager had restored a VM on dies before the next one takes over: the VM
 * must not be restored elsewhere under the same incarnation (a second execution of it).
 */
public class ManagerCrashTest {

  @Test public void aRecoveryResumedByAnotherManagerIsConsistent() {
    long crashes = 0;
    long hostsLost = 0;
    long recoveries = 0;
    SplittableRandom r = new SplittableRandom(20261129);
    for (int trial = 0; trial < 150; trial++) {
      SimConfig config = RandomScenario.builder(r.nextLong(), r.nextInt(3, 16), r.nextInt(2, 6), r.nextDouble(),
          r.nextInt(2, 5), r.nextDouble(0.5, 6), r.nextDouble(0, 0.2), r.nextDouble(0, 300), r.nextInt(0, 5),
          r.nextInt(1, 6), r.nextBoolean(), r.nextBoolean(), r.nextBoolean()).build();
      SimReport report = new Simulator(config, EventSink.none()).crashManagers(r.nextLong()).run();
      crashes += report.managerCrashes;
      hostsLost += report.restoreHostsLostInCrashes;
      recoveries += report.recoveriesChecked;
    }
    System.out.println("manager crashes: " + crashes + " recoveries resumed by another manager (" + hostsLost
        + " after a host it had restored a VM on died too); " + recoveries + " recoveries checked, 0 violations");
    assertTrue("too few crashes to say anything: " + crashes, crashes >= 50);
    assertTrue("too few hosts lost between crash and resume: " + hostsLost, hostsLost >= 10);
  }
}
