package org.vmqsc.evaluation;

import java.util.List;
import org.vmqsc.evaluation.advisor.Advisor;
import org.vmqsc.evaluation.workload.FailureSchedule;
import org.vmqsc.evaluation.workload.Traffic;

/** Turns traffic into the scenario every protocol runs: placement, timing, drifts, failures, base period, classes. */
public final class ScenarioBuilder {
  private TimeModel timeModel = TimeModel.standard();
  private CostModel costModel = CostModel.standard();
  private int vmsPerHost = 4;
  private Double basePeriod;
  private int vmFailures = 25;
  private int hostFailures = 25;
  private String classes = "auto";
  private int maxK = 4;
  /** The host MTBF the advisor weighs rework against storage with (the command's default, 720 h). */
  private double hostMtbfSeconds = 720 * 3600.0;
  private long seed = 1;

  public ScenarioBuilder timeModel(TimeModel t) { this.timeModel = t; return this; }
  public ScenarioBuilder costModel(CostModel c) { this.costModel = c; return this; }
  public ScenarioBuilder vmsPerHost(int n) { this.vmsPerHost = n; return this; }
  public ScenarioBuilder basePeriod(Double t0) { this.basePeriod = t0; return this; }
  public ScenarioBuilder failures(int vm, int host) {
    if (vm < 0 || host < 0) throw new IllegalArgumentException("failure counts must be >= 0");
    this.vmFailures = vm; this.hostFailures = host; return this;
  }
  /** "auto" (the traffic's own classes, else advised), "advised", "blind", "all-si", or one class per VM. */
  public ScenarioBuilder classes(String c) { this.classes = c; return this; }
  public ScenarioBuilder maxK(int k) { this.maxK = k; return this; }
  public ScenarioBuilder hostMtbf(double seconds) { this.hostMtbfSeconds = seconds; return this; }
  public ScenarioBuilder seed(long s) { this.seed = s; return this; }

  public Scenario build(Traffic traffic) {
    Placement placement = Placement.packed(traffic.vms(), vmsPerHost);
    double t0 = basePeriod != null ? basePeriod : traffic.suggestedBasePeriod();
    if (!(t0 > 0)) throw new IllegalArgumentException("base period must be > 0");
    List<MessageEvent> messages = Scenario.timed(traffic.sends(), placement, timeModel);
    double end = 0;
    for (MessageEvent m : messages) end = Math.max(end, m.receiveTime());
    // Whole base periods, at least two, so every protocol gets the same number of rounds.
    double duration = Math.max(2, Math.ceil(end / t0 - 1e-9)) * t0;
    VmClasses vmClasses = chooseClasses(traffic, duration, t0);
    List<Failure> failures = FailureSchedule.random(placement, t0, duration, vmFailures, hostFailures, seed);
    return new Scenario(traffic.name(), messages, placement, timeModel.hostDrifts(placement.hosts(), seed), failures,
        t0, duration, vmClasses);
  }

  private VmClasses chooseClasses(Traffic traffic, double duration, double t0) {
    int vms = traffic.vms();
    switch (classes) {
      case "auto":
        if (traffic.classes() != null) return traffic.classes();
        return advised(traffic, vms, duration, t0);
      case "advised":
        return advised(traffic, vms, duration, t0);
      case "blind":
        return Advisor.trafficBlind(advised(traffic, vms, duration, t0), seed);
      case "all-si":
        return VmClasses.allSi(vms);
      default:
        VmClasses c = VmClasses.parse(classes);
        if (c.vms() != vms) throw new IllegalArgumentException(c.vms() + " classes given for " + vms + " VMs");
        return c;
    }
  }

  /** The advisor's classes for this traffic, weighing storage against rework after host failures. */
  private VmClasses advised(Traffic traffic, int vms, double duration, double t0) {
    double rollbacks = Advisor.rollbackRate(hostMtbfSeconds, Double.POSITIVE_INFINITY);
    return Advisor.classes(traffic.sends(), vms, duration, t0, costModel, maxK, rollbacks);
  }
}
