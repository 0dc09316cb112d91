package org.vmqsc.sim;

import org.vmqsc.protocol.EarlyIndexPolicy;

/** The scenario shape of the property test, shared with the regression runs it found. */
final class RandomScenario {
  private RandomScenario() {}

  static SimConfig config(long seed, int vms, int hosts, double siShare, int maxK, double rate, double drift,
                          double delay, int vmFailures, int hostFailures, boolean duringRecovery,
                          boolean forceEarly, boolean realGuests) {
    return builder(seed, vms, hosts, siShare, maxK, rate, drift, delay, vmFailures, hostFailures, duringRecovery,
        forceEarly, realGuests).build();
  }

  static SimConfig.Builder builder(long seed, int vms, int hosts, double siShare, int maxK, double rate, double drift,
                                   double delay, int vmFailures, int hostFailures, boolean duringRecovery,
                                   boolean forceEarly, boolean realGuests) {
    return SimConfig.builder()
        .seed(seed).hosts(hosts).classes(SimConfig.mixedClasses(vms, siShare, maxK))
        .workload(Workload.uniform(rate)).periods(24).maxDrift(drift).delays(delay / 50, delay)
        .vmFailures(vmFailures).hostFailures(hosts > 1 ? hostFailures : 0)
        .failuresDuringRecovery(duringRecovery)
        .earlyIndexPolicy(forceEarly ? EarlyIndexPolicy.FORCE_CHECKPOINT : EarlyIndexPolicy.ADVANCE_AND_LOG)
        .deterministicGuests(!realGuests);
  }
}
