package org.vmqsc.sim;

import java.util.SplittableRandom;

/**
 * Many random scenarios under the oracle, as the property tests run them: each run's checks summed, and a violation
 * reported with its trial, its scenario and the seed that replays the whole series.
 */
final class OracleRuns {

  final long seed;
  long recoveries;
  long latestStateChecks;
  long notLatest;
  long migrations;
  /** VMs a host failure rebuilt past their stable state (causal logging), and the sends they made again. */
  long rebuiltPastStableState;
  long sentAgain;
  /** Receipts those VMs took again from a message another VM rebuilt with them made again. */
  long takenFromSendsMadeAgain;
  /** The first plan the brute force found a later consistent recoverable state for, with its trial. */
  String firstNotLatest;

  /** With the seed of {@code -Dvmqsc.seed}, or a fresh one; printed so a failing series can be replayed. */
  OracleRuns(String test) {
    String given = System.getProperty("vmqsc.seed");
    seed = given == null || given.isBlank() ? new SplittableRandom().nextLong() : Long.parseLong(given.trim());
    System.out.println(test + ": seed " + seed + " (replay with -Dvmqsc.seed=" + seed + ")");
  }

  void run(int trial, SimConfig config) {
    try {
      SimReport report = new Simulator(config, EventSink.none()).run();
      recoveries += report.recoveriesChecked;
      latestStateChecks += report.latestStateChecks;
      notLatest += report.notLatest;
      migrations += report.migrations;
      rebuiltPastStableState += report.restoredPastStableState;
      sentAgain += report.sentAgain;
      takenFromSendsMadeAgain += report.takenFromSendsMadeAgain;
      if (firstNotLatest == null && report.firstNotLatest != null) {
        firstNotLatest = "trial " + trial + " (" + config + "): " + report.firstNotLatest;
      }
    } catch (RuntimeException | AssertionError v) {
      System.out.printf("oracle: violation in trial %d of seed %d: %s%n", trial, seed, config);
      throw new AssertionError("trial " + trial + " of seed " + seed + " (replay with -Dvmqsc.seed=" + seed
          + "): " + config + ": " + v.getMessage(), v);
    }
  }
}
