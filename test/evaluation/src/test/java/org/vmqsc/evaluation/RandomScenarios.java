package org.vmqsc.evaluation;

import org.vmqsc.evaluation.workload.Workloads;

/** Small random scenarios for property tests: a workload kind, a size and a seed, all drawn by the caller. */
public final class RandomScenarios {
  private static final String[] KINDS = {
      "poisson:vms=%d,periods=6,rate=2,k=%d", "halo2d:vms=16,periods=6,step=1", "alltoall:vms=%d,periods=6,step=7",
      "master-worker:vms=%d,periods=6,work=2", "pipeline:vms=%d,periods=6,rate=3"};

  private RandomScenarios() {}

  public static Scenario make(int kind, int vms, int k, int vmsPerHost, long seed) {
    String spec = String.format(java.util.Locale.ROOT, KINDS[Math.floorMod(kind, KINDS.length)], vms, k);
    if (spec.startsWith("alltoall") || spec.startsWith("master") || spec.startsWith("pipeline")) {
      spec = String.format(java.util.Locale.ROOT, KINDS[Math.floorMod(kind, KINDS.length)], vms);
    }
    // Latency large enough that messages cross boundaries and snapshots: the interesting cases for recovery.
    TimeModel slow = new TimeModel(0.05, 0.005, 1e6, 1e9, 2000);
    return new ScenarioBuilder().timeModel(slow).vmsPerHost(vmsPerHost).failures(8, 8).maxK(3).seed(seed)
        .classes(seed % 2 == 0 ? "auto" : "blind")
        .build(Workloads.generate(spec, seed));
  }
}
