package org.vmqsc.sim;

import java.util.ArrayList;
import java.util.List;
import org.vmqsc.protocol.EarlyIndexPolicy;
import org.vmqsc.protocol.VmClass;

/**
 * One simulated run: the group, the cluster, the timing model, the traffic and the failures. Times are in
 * milliseconds of simulated time; T0 is {@link #basePeriod}. Build with {@link #builder()}.
 */
public record SimConfig(
    long seed,
    int hosts,
    List<VmClass> classes,
    long basePeriod,
    int periods,
    Workload workload,
    double maxDrift,
    double sameHostDelay,
    double crossHostDelay,
    double checkpointDuration,
    double flushDelay,
    double detectionDelay,
    double restartPause,
    double repairDelay,
    int vmFailures,
    int hostFailures,
    boolean failuresDuringRecovery,
    EarlyIndexPolicy earlyIndexPolicy,
    boolean deterministicGuests,
    int migrations) {

  /** Bounds that keep a run finite and its arithmetic exact; far beyond any setting the simulator is meant for. */
  public static final long MAX_BASE_PERIOD_MS = 24L * 3600 * 1000;
  public static final int MAX_PERIODS = 1_000_000;
  public static final double MAX_DELAY_MS = 24.0 * 3600 * 1000;

  public SimConfig {
    classes = List.copyOf(classes);
    if (hosts < 1) throw new IllegalArgumentException("--hosts must be at least 1, got " + hosts);
    if (classes.size() < 2) throw new IllegalArgumentException("--vms must be at least 2, got " + classes.size());
    if (basePeriod <= 0 || basePeriod > MAX_BASE_PERIOD_MS) {
      throw new IllegalArgumentException("T0 must be in 1.." + MAX_BASE_PERIOD_MS + " ms, got " + basePeriod);
    }
    if (periods < 4 || periods > MAX_PERIODS) {
      throw new IllegalArgumentException("--periods must be in 4.." + MAX_PERIODS + ", got " + periods);
    }
    if (!(maxDrift >= 0 && maxDrift < 0.25)) {  // also refuses NaN
      throw new IllegalArgumentException("clock drift must be in [0, 0.25) of T0, got " + maxDrift);
    }
    if (vmFailures < 0 || hostFailures < 0) throw new IllegalArgumentException("failure counts cannot be negative");
    if (vmFailures > periods || hostFailures > periods) {
      // More would mostly hit VMs and hosts already down and be skipped: say so instead of running fewer.
      throw new IllegalArgumentException("at most one VM failure and one host failure per base period: --vm-failures"
          + " and --host-failures must be at most --periods (" + periods + "), got " + vmFailures + " and "
          + hostFailures);
    }
    if (migrations < 0 || migrations > periods) {
      throw new IllegalArgumentException("--migrations must be in 0..--periods (" + periods + "), got " + migrations);
    }
    if (migrations > 0 && hosts < 2) {
      throw new IllegalArgumentException("migrations need at least 2 hosts: a VM moves to another one");
    }
    if (hostFailures > 0 && hosts < 2) {
      throw new IllegalArgumentException("host failures need at least 2 hosts: the group must run somewhere");
    }
    String[] names = {"same-host delay", "cross-host delay", "checkpoint duration", "flush delay", "detection delay",
        "restart pause", "repair delay"};
    double[] values = {sameHostDelay, crossHostDelay, checkpointDuration, flushDelay, detectionDelay, restartPause,
        repairDelay};
    for (int i = 0; i < values.length; i++) {
      if (!(values[i] >= 0 && values[i] <= MAX_DELAY_MS)) {  // also refuses NaN
        throw new IllegalArgumentException("the " + names[i] + " must be a number of ms in [0, " + (long) MAX_DELAY_MS
            + "], got " + values[i]);
      }
    }
    if (workload == null) throw new IllegalArgumentException("a workload is needed");
    for (int from = 0; from < classes.size(); from++) {
      for (int to = 0; to < classes.size(); to++) {
        double rate = workload.rate(classes, from, to);
        if (!(rate >= 0 && rate < 1e6)) {  // also refuses NaN
          throw new IllegalArgumentException("message rates must be numbers in [0, 1e6) per base period, got " + rate
              + " from VM " + from + " to VM " + to);
        }
      }
    }
  }

  public int vms() {
    return classes.size();
  }

  /** The end of traffic: after it, the run drains (no new sends) and the oracle checks that nothing was lost. */
  public double endTime() {
    return (double) periods * basePeriod;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Classes for n VMs: a share of SI VMs, the rest MI_k with k drawn from {@code 2..maxK} round-robin. */
  public static List<VmClass> mixedClasses(int n, double siShare, int maxK) {
    List<VmClass> out = new ArrayList<>();
    int si = (int) Math.round(n * siShare);
    for (int i = 0; i < n; i++) out.add(i < si ? VmClass.SI : VmClass.mi(2 + (i - si) % (maxK - 1)));
    return out;
  }

  public static final class Builder {
    long seed = 1;
    int hosts = 4;
    List<VmClass> classes = mixedClasses(8, 0.5, 2);
    long basePeriod = 1000;
    int periods = 30;
    Workload workload = Workload.uniform(8.0);
    double maxDrift = 0.02;
    double sameHostDelay = 0.2;
    double crossHostDelay = 20;
    double checkpointDuration = 150;
    double flushDelay = 300;
    double detectionDelay = 200;
    double restartPause = 300;
    double repairDelay = 3000;
    int vmFailures = 2;
    int hostFailures = 1;
    boolean failuresDuringRecovery;
    EarlyIndexPolicy earlyIndexPolicy = EarlyIndexPolicy.ADVANCE_AND_LOG;
    boolean deterministicGuests = true;
    int migrations;

    public Builder seed(long v) { seed = v; return this; }
    public Builder hosts(int v) { hosts = v; return this; }
    public Builder classes(List<VmClass> v) { classes = v; return this; }
    public Builder basePeriod(long v) { basePeriod = v; return this; }
    public Builder periods(int v) { periods = v; return this; }
    public Builder workload(Workload v) { workload = v; return this; }
    public Builder maxDrift(double v) { maxDrift = v; return this; }
    public Builder delays(double sameHost, double crossHost) { sameHostDelay = sameHost; crossHostDelay = crossHost; return this; }
    public Builder checkpointDuration(double v) { checkpointDuration = v; return this; }
    public Builder flushDelay(double v) { flushDelay = v; return this; }
    public Builder detectionDelay(double v) { detectionDelay = v; return this; }
    public Builder restartPause(double v) { restartPause = v; return this; }
    public Builder repairDelay(double v) { repairDelay = v; return this; }
    public Builder vmFailures(int v) { vmFailures = v; return this; }
    public Builder hostFailures(int v) { hostFailures = v; return this; }
    public Builder failuresDuringRecovery(boolean v) { failuresDuringRecovery = v; return this; }
    public Builder earlyIndexPolicy(EarlyIndexPolicy v) { earlyIndexPolicy = v; return this; }
    /** False models real guests (hole 7): a VM failure then rolls back to the line instead of replaying forward. */
    public Builder deterministicGuests(boolean v) { deterministicGuests = v; return this; }
    /** Live migrations of a random VM to a random other host, at random times (0: none). */
    public Builder migrations(int v) { migrations = v; return this; }

    public SimConfig build() {
      return new SimConfig(seed, hosts, classes, basePeriod, periods, workload, maxDrift, sameHostDelay,
          crossHostDelay, checkpointDuration, flushDelay, detectionDelay, restartPause, repairDelay, vmFailures,
          hostFailures, failuresDuringRecovery, earlyIndexPolicy, deterministicGuests, migrations);
    }
  }
}
