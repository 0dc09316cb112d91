package org.vmqsc.evaluation.advisor;

import java.util.List;
import org.vmqsc.evaluation.CostModel;
import org.vmqsc.evaluation.Evaluation;
import org.vmqsc.evaluation.Metrics;
import org.vmqsc.evaluation.Scenario;
import org.vmqsc.evaluation.TimeModel;
import org.vmqsc.evaluation.VmClasses;
import org.vmqsc.evaluation.report.Numbers;
import org.vmqsc.evaluation.sim.Simulation;

/**
 * The advisor's proposal for one scenario, and what it is worth: VM_QSC run with the advised classes and with the
 * same classes handed out blind, on the same events and failures.
 */
public final class AdvisorReport {
  private AdvisorReport() {}

  public record Result(double youngPeriod, VmClasses advised, VmClasses blind, Metrics withAdvised, Metrics withBlind) {}

  public static Result compare(Scenario scenario, TimeModel time, CostModel cost, double hostMtbfSeconds, int maxK, long seed) {
    double young = Advisor.youngPeriod(cost, hostMtbfSeconds, scenario.placement().hosts());
    List<double[]> sends = scenario.messages().stream()
        .map(m -> new double[] {m.sendTime(), m.src(), m.dst(), m.bytes()}).toList();
    double rollbacks = Advisor.rollbackRate(hostMtbfSeconds, Double.POSITIVE_INFINITY);
    VmClasses advised = Advisor.classes(sends, scenario.vms(), scenario.duration(), scenario.basePeriod(), cost, maxK,
        rollbacks);
    Evaluation e = new Evaluation(time, cost, seed);
    Metrics a = e.run(scenario.withClasses(advised), List.of("vmqsc"), Simulation.ProgressListener.NONE).get(0).metrics();
    // One shuffle may land well or badly by chance: the blind figures are the mean over several.
    List<Metrics> shuffles = new java.util.ArrayList<>();
    VmClasses blind = null;
    for (int i = 0; i < BLIND_SHUFFLES; i++) {
      VmClasses c = Advisor.trafficBlind(advised, seed + i);
      if (blind == null) blind = c;
      shuffles.add(e.run(scenario.withClasses(c), List.of("vmqsc"), Simulation.ProgressListener.NONE).get(0).metrics());
    }
    return new Result(young, advised, blind, a, mean(shuffles));
  }

  /** How many traffic-blind shuffles the comparison averages. */
  public static final int BLIND_SHUFFLES = 3;

  private static Metrics mean(List<Metrics> runs) {
    java.util.Map<String, Double> sum = new java.util.LinkedHashMap<>();
    for (Metrics m : runs) m.values().forEach((k, v) -> sum.merge(k, v / runs.size(), Double::sum));
    return new Metrics(runs.get(0).protocol(), runs.get(0).workload(), sum, runs.get(0).parameters());
  }

  public static String markdown(Scenario scenario, Result r, double hostMtbfSeconds) {
    StringBuilder b = new StringBuilder();
    b.append("### Advisor: ").append(scenario.name()).append("\n\n");
    b.append("- Young's base period for a host MTBF of ").append(Numbers.readable(hostMtbfSeconds / 3600))
        .append(" h over ").append(scenario.placement().hosts()).append(" hosts: T0 = ")
        .append(Numbers.readable(r.youngPeriod())).append(" s (this run used ")
        .append(Numbers.readable(scenario.basePeriod())).append(" s).\n");
    b.append("- Advised classes (storage against rework after host failures at that MTBF; model in")
        .append(" test/evaluation/README.md): ").append(r.advised()).append('\n');
    b.append("- Traffic-blind (same classes, shuffled; the figures are the mean of ").append(BLIND_SHUFFLES)
        .append(" shuffles, the first shown): ").append(r.blind()).append("\n\n");
    b.append("| VM_QSC with | stable_mb_written | eta_messages | eta_bytes | peak_storage_mb_per_s | host_failure_work_lost_s |\n|---|---:|---:|---:|---:|---:|\n");
    for (var row : List.of(List.of("advised classes", r.withAdvised()), List.of("traffic-blind classes", r.withBlind()))) {
      Metrics m = (Metrics) row.get(1);
      b.append("| ").append(row.get(0)).append(" | ").append(Numbers.readable(m.get("stable_mb_written"))).append(" | ")
          .append(Numbers.readable(m.get("eta_messages"))).append(" | ")
          .append(Numbers.readable(m.get("eta_bytes"))).append(" | ").append(Numbers.readable(m.get("peak_storage_mb_per_s")))
          .append(" | ").append(Numbers.readable(m.get("host_failure_work_lost_s"))).append(" |\n");
    }
    boolean oneClass = true;
    for (int v = 1; v < r.advised().vms(); v++) oneClass &= r.advised().name(v).equals(r.advised().name(0));
    if (oneClass) {
      b.append("\nWarning: the advisor puts every VM in one class (").append(r.advised().name(0))
          .append("), so the traffic-blind shuffle is the same assignment and the comparison compares nothing.\n");
    }
    double a = r.withAdvised().get("stable_mb_written"), bl = r.withBlind().get("stable_mb_written");
    b.append("\nStable-storage writes with advised classes: ")
        .append(bl == 0 ? "n/a" : Numbers.readable(100 * (bl - a) / bl) + " % less than traffic-blind").append(".\n");
    return b.toString();
  }
}
