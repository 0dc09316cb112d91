package org.vmqsc.sim;

import java.util.ArrayList;
import java.util.List;
import org.junit.Test;
import org.vmqsc.protocol.VmClass;

/**
 * Every bug the oracle found, as the run that found it. Each run failed before its fix and must pass now. (Later
 * changes to the simulator's random streams can move a run away from its original scenario; the unit tests of
 * the protocol pin the same rules down independently.)
 */
public class OracleRegressionTest {

  /** The property test's parameters, as its failure report printed them. */
  private static void propertyRun(long seed, int vms, int hosts, double siShare, int maxK, double rate, double drift,
                                  double delay, int vmFailures, int hostFailures, boolean duringRecovery,
                                  boolean forceEarly) {
    SimConfig config = RandomScenario.config(seed, vms, hosts, siShare, maxK, rate, drift, delay, vmFailures,
        hostFailures, duringRecovery, forceEarly, false);
    new Simulator(config, EventSink.none()).run();
  }

  /**
   * Not a planner bug: the brute force counted a message as held by its receiver's volatile log because the
   * receiver had received it, but a restore from a checkpoint that already held it had started that log afresh.
   * It reported 2 plans of 4,066 as not the latest (a real guest's VM failure rolled back survivors 0, 3 and 4).
   */
  @Test public void oracleTookAMessageInARestoredCheckpointForOneInTheVolatileLog() {
    SimReport report = new Simulator(RecoveryOraclePropertyTest.trial(1727441651801364496L, 823), EventSink.none()).run();
    org.junit.Assert.assertEquals(report.firstNotLatest, 0, report.notLatest);
    org.junit.Assert.assertTrue(report.latestStateChecks > 0);
  }

  /**
   * A planner bug: a recovery rebuilt VM 2 past its stable state (re-executing receipt 17, first made by its
   * incarnation 1) under incarnation 2; when its host failed again before its next stable checkpoint, the
   * manager counted only receipts its current incarnation had made, so the receipt carried off under incarnation 1
   * no longer extended VM 2's state and the plan went back further than the brute force's latest state (1 plan of
   * 3,343). Receipts of an earlier incarnation now count up to where every restore since kept them
   * ({@code KeptReceipts}).
   */
  @Test public void aReceiptCarriedOffBeforeARecoveryRebuiltItsVmPastItStillCounts() {
    SimReport report = new Simulator(RecoveryOraclePropertyTest.trial(4898622010388811768L, 507), EventSink.none()).run();
    org.junit.Assert.assertEquals(report.firstNotLatest, 0, report.notLatest);
    org.junit.Assert.assertTrue(report.latestStateChecks > 0);
    org.junit.Assert.assertTrue(report.restoredPastStableState > 0);
  }

  @Test public void plannerCrashedWhenARolledBackSenderLeftNothingInTransit() {
    propertyRun(4604817794199196864L, 30, 5, 0.7121439445532504, 4, 2.8007960145092055, 0.11682066399750886,
        137.8538863035016, 4, 9, true, false);
  }

  @Test public void replayOrderTrustedAnRsnFromAnEarlierIncarnationOfTheReceiver() {
    propertyRun(5325187573523354861L, 21, 8, 0.8480782588972605, 2, 3.493565018845155, 0.1616613546834092,
        115.19037716031141, 3, 9, true, false);
  }

  @Test public void stableInTransitLogOfADiscardedExecutionWasReplayed() {
    propertyRun(-5296927877041748581L, 25, 8, 0.3526492579794551, 3, 2.042438412625545, 0.13400532396650405,
        360.76767589251597, 3, 9, true, false);
  }

  @Test public void messagesHeldForAPausedVmWereDroppedWhenItWasRestoredAgain() {
    propertyRun(-2944319578943765800L, 15, 6, 0.8672098908481836, 2, 6.897522308502796, 0.18956629795217877,
        395.59232628022585, 5, 9, false, true);
  }

  @Test public void lineKeeperAcceptedAStateWithoutAReportAtTheLineIndex() {
    propertyRun(-6332224278454520032L, 14, 8, 0.03874048262156826, 2, 4.911991104400795, 0.17031318271479637,
        128.50902549955046, 12, 6, true, false);
  }

  @Test public void aSlowGuestRolledBackNearTheEndStoppedBeforeItsFailurePoint() {
    propertyRun(8287395412278331436L, 31, 8, 0.49279849813549426, 4, 0.5515942837356589, 0.16768049896738182,
        384.02109905959804, 0, 5, true, true);
  }

  @Test public void replayWithUnknownOrderOvertookALaterMessageOfTheSameChannel() {
    List<VmClass> classes = new ArrayList<>(List.of(VmClass.SI, VmClass.SI, VmClass.SI, VmClass.SI, VmClass.SI, VmClass.SI));
    classes.add(VmClass.mi(2));
    SimConfig config = SimConfig.builder().seed(6372190273861500147L).hosts(7).classes(classes)
        .workload(Workload.uniform(5.276613002198302)).periods(11).maxDrift(0.19054415083828696)
        .delays(8.265897219149211, 413.29486095746057).checkpointDuration(35.55504906691578)
        .flushDelay(64.91233050943592).detectionDelay(440.641946509009).restartPause(412.3397326574041)
        .vmFailures(3).hostFailures(4).deterministicGuests(false).build();
    new Simulator(config, EventSink.none()).run();
  }
}
