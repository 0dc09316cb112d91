package org.vmqsc.evaluation.advisor;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.vmqsc.protocol.advice.ClassAdvisor;
import org.vmqsc.evaluation.CostModel;
import org.vmqsc.evaluation.VmClasses;

/**
 * Proposes a base period and a class per VM from measured traffic.
 *
 * <p>T0 follows Young's first-order optimum sqrt(2 C M): C is the cost of one checkpoint (pause plus write to
 * stable storage) and M the mean time between failures of the group's hosts taken together (host MTBF / hosts),
 * since any of them failing costs the group a rollback.
 *
 * <p>Classes: the protocol's {@link ClassAdvisor} (the manager proposes classes by the same rule), fed with each
 * VM's received bytes per base period from the traffic.
 */
public final class Advisor {
  private Advisor() {}

  public record Advice(double basePeriod, double groupMtbf, VmClasses classes, double[] receivedBytesPerPeriod) {}

  public static double youngPeriod(CostModel cost, double hostMtbfSeconds, int hosts) {
    if (hostMtbfSeconds <= 0) throw new IllegalArgumentException("host MTBF must be > 0");
    double c = cost.checkpointPauseSeconds() + cost.checkpointWriteSeconds();
    return Math.sqrt(2 * c * hostMtbfSeconds / Math.max(1, hosts));
  }

  /**
   * @param sends rows of (time, src, dst, bytes)
   * @param duration seconds the traffic covers
   */
  public static VmClasses classes(List<double[]> sends, int vms, double duration, double basePeriod, CostModel cost,
                                  int maxK) {
    double[] perPeriod = receivedBytesPerPeriod(sends, vms, duration, basePeriod);
    int[] k = new int[vms];
    for (int v = 0; v < vms; v++) k[v] = ClassAdvisor.propose(cost.checkpointBytes(), perPeriod[v], maxK).proposed().period();
    return new VmClasses(k);
  }

  public static double[] receivedBytesPerPeriod(List<double[]> sends, int vms, double duration, double basePeriod) {
    double[] b = new double[vms];
    for (double[] s : sends) b[(int) s[2]] += s[3];
    for (int v = 0; v < vms; v++) b[v] = b[v] / Math.max(duration, 1e-9) * basePeriod;
    return b;
  }

  /** The same classes handed out without looking at traffic: a seeded shuffle over the VMs. */
  public static VmClasses trafficBlind(VmClasses advised, long seed) {
    List<Integer> k = new ArrayList<>();
    for (int v = 0; v < advised.vms(); v++) k.add(advised.interval(v));
    java.util.Collections.shuffle(k, new Random(seed));
    int[] out = new int[k.size()];
    for (int v = 0; v < out.length; v++) out[v] = k.get(v);
    return new VmClasses(out);
  }
}
