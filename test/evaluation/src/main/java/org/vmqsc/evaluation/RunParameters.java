package org.vmqsc.evaluation;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.vmqsc.evaluation.report.Numbers;

/**
 * Every setting behind a run's numbers, in report order: a figure read from results.csv or results.md alone says
 * what produced it. Names are column names.
 */
public final class RunParameters {
  private RunParameters() {}

  public static Map<String, String> of(Scenario s, TimeModel time, CostModel cost, long seed) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("seed", Long.toString(seed));
    p.put("vms", Integer.toString(s.vms()));
    p.put("hosts", Integer.toString(s.placement().hosts()));
    p.put("t0_s", Numbers.format(s.basePeriod()));
    p.put("periods", Numbers.format(s.duration() / s.basePeriod()));
    p.put("duration_s", Numbers.format(s.duration()));
    p.put("classes", classes(s.classes()));
    p.put("class_per_vm", perVm(s.classes()));
    p.put("checkpoint_mb", Numbers.format(cost.checkpointBytes() / (double) (1 << 20)));
    p.put("checkpoint_pause_s", Numbers.format(cost.checkpointPauseSeconds()));
    p.put("stable_mbps", Numbers.format(cost.stableBytesPerSecond() / 1e6));
    p.put("log_write_s", Numbers.format(cost.logWriteSeconds()));
    p.put("latency_s", Numbers.format(time.latencySeconds()));
    p.put("bandwidth_bps", Numbers.format(time.bandwidthBytesPerSecond()));
    p.put("host_flops", Numbers.format(time.hostFlopsPerSecond()));
    p.put("drift_ppm", Numbers.format(time.maxDriftPpm()));
    long vmFailures = s.failures().stream().filter(f -> f.kind() == Failure.Kind.VM).count();
    p.put("vm_failures", Long.toString(vmFailures));
    p.put("host_failures", Long.toString(s.failures().size() - vmFailures));
    return p;
  }

  /** How many VMs of each class, e.g. "SI x8, MI_2 x8". */
  static String classes(VmClasses c) {
    Map<Integer, Integer> count = new TreeMap<>();
    for (int v = 0; v < c.vms(); v++) count.merge(c.interval(v), 1, Integer::sum);
    StringBuilder b = new StringBuilder();
    count.forEach((k, n) -> b.append(b.length() == 0 ? "" : ", ").append(k == 1 ? "SI" : "MI_" + k).append(" x").append(n));
    return b.toString();
  }

  /** Each VM's class in VM order, e.g. "SI MI_2 SI MI_2". */
  static String perVm(VmClasses c) {
    StringBuilder b = new StringBuilder();
    for (int v = 0; v < c.vms(); v++) b.append(v == 0 ? "" : " ").append(c.name(v));
    return b.toString();
  }
}
