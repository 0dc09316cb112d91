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
 * VM's received bytes per base period from the traffic. Making a VM MI_k saves (k-1)/k of its checkpoint bytes and
 * costs the same share of the bytes it receives, which go to the stable log instead; so a VM that receives, per
 * base period, at least half a checkpoint's worth stays SI, and a lighter one becomes MI_k with k = S / (2 R),
 * capped at {@code maxK}.
 *
 * <p>Failures: that k only counts storage. A VM that checkpoints every k base periods also loses more when it
 * fails or is rolled back: it restarts from a checkpoint k T0 / 2 old on average and replays (or executes again)
 * from there. With failures rolling a VM back at rate f per second (its own host's failures, since with causal
 * logging a host failure rolls back only that host's VMs, plus the VM's own failures), the advisor picks, among
 * 1..k, the class
 * that minimises the time it costs per second:
 * <pre>
 *   cost(k) = (P + S / B) / (k T0)      checkpoint pauses and writes
 *           + (1 - 1/k) R / (T0 B)      its received bytes written to the stable log instead
 *           + f k T0 / 2                rework after failures
 * </pre>
 * with P the checkpoint pause, S its size, B the stable-storage rate and R the bytes received per base period.
 * With failures rare, cost falls with k and the storage rule's k stands.
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
    return classes(sends, vms, duration, basePeriod, cost, maxK, 0);
  }

  /** @param failuresPerSecond how often a VM is rolled back by a failure ({@link #rollbackRate}) */
  public static VmClasses classes(List<double[]> sends, int vms, double duration, double basePeriod, CostModel cost,
                                  int maxK, double failuresPerSecond) {
    double[] perPeriod = receivedBytesPerPeriod(sends, vms, duration, basePeriod);
    int[] k = new int[vms];
    for (int v = 0; v < vms; v++) {
      double r = perPeriod[v];
      int byStorage = ClassAdvisor.propose(cost.checkpointBytes(), r, maxK).proposed().period();
      k[v] = 1;
      for (int c = 2; c <= byStorage; c++) {
        if (cost(c, r, basePeriod, cost, failuresPerSecond) < cost(k[v], r, basePeriod, cost, failuresPerSecond)) k[v] = c;
      }
      if (failuresPerSecond == 0) k[v] = byStorage; // storage alone decides, as the rule says
    }
    return new VmClasses(k, phases(sends, k, duration, basePeriod, cost));
  }

  /**
   * Each MI_k VM's phase: the one whose checkpoints and log segments write the fewest bytes over the traffic seen.
   * A checkpoint at boundary n spares the receive log of the base period that ends at n, so the phase puts the
   * checkpoints right after the periods in which the VM receives most; over a long run every phase takes as many
   * checkpoints, over a short one the count can differ by one, which is weighed too. Ties go to the lowest phase.
   * The rule is the protocol's {@link ClassAdvisor#phase}, which the manager's advice uses too.
   */
  static int[] phases(List<double[]> sends, int[] k, double duration, double basePeriod, CostModel cost) {
    int vms = k.length;
    int boundaries = (int) Math.max(0, Math.ceil(duration / basePeriod - 1e-9) - 1); // 1..B, none at the end
    double[][] receivedIn = new double[vms][boundaries + 1]; // by the boundary that ends the period
    for (double[] s : sends) {
      long p = (long) Math.floor(s[0] / basePeriod) + 1;
      if (p >= 1 && p <= boundaries) receivedIn[(int) s[2]][(int) p] += s[3];
    }
    long[] window = new long[boundaries];
    for (int n = 1; n <= boundaries; n++) window[n - 1] = n;
    int[] phase = new int[vms];
    for (int v = 0; v < vms; v++) {
      if (k[v] < 2) continue;
      phase[v] = ClassAdvisor.phase(k[v], cost.checkpointBytes(), window,
          java.util.Arrays.copyOfRange(receivedIn[v], 1, boundaries + 1));
    }
    return phase;
  }

  /** Seconds per second a VM of class k costs: checkpoints, its stable log, and rework after failures. */
  static double cost(int k, double receivedPerPeriod, double basePeriod, CostModel cost, double failuresPerSecond) {
    double b = cost.stableBytesPerSecond();
    return (cost.checkpointPauseSeconds() + cost.checkpointBytes() / b) / (k * basePeriod)
        + (1 - 1.0 / k) * receivedPerPeriod / (basePeriod * b)
        + failuresPerSecond * k * basePeriod / 2;
  }

  /**
   * How often a failure rolls a VM back: its own host's failures (MTBF {@code hostMtbfSeconds}) and its own failures
   * (MTBF {@code vmMtbfSeconds}; infinity for none). With causal logging a host failure rolls back only that host's
   * VMs (the others' dependencies on them survive it), so another host's failure costs this VM nothing.
   */
  public static double rollbackRate(double hostMtbfSeconds, double vmMtbfSeconds) {
    return 1 / hostMtbfSeconds + (Double.isInfinite(vmMtbfSeconds) ? 0 : 1 / vmMtbfSeconds);
  }

  public static double[] receivedBytesPerPeriod(List<double[]> sends, int vms, double duration, double basePeriod) {
    double[] b = new double[vms];
    for (double[] s : sends) b[(int) s[2]] += s[3];
    for (int v = 0; v < vms; v++) b[v] = b[v] / Math.max(duration, 1e-9) * basePeriod;
    return b;
  }

  /** The same classes handed out without looking at traffic: a seeded shuffle over the VMs. */
  public static VmClasses trafficBlind(VmClasses advised, long seed) {
    List<int[]> classes = new ArrayList<>();   // (interval, phase): a class moves with its phase
    for (int v = 0; v < advised.vms(); v++) classes.add(new int[] {advised.interval(v), advised.phase(v)});
    java.util.Collections.shuffle(classes, new Random(seed));
    int[] k = new int[classes.size()];
    int[] phase = new int[classes.size()];
    for (int v = 0; v < k.length; v++) {
      k[v] = classes.get(v)[0];
      phase[v] = classes.get(v)[1];
    }
    return new VmClasses(k, phase);
  }
}
