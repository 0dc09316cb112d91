package org.vmqsc.evaluation.workload;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.vmqsc.evaluation.VmClasses;

/**
 * Synthetic traffic generators. Each takes {@code name:key=value,...}; every generator accepts {@code vms},
 * {@code t0} (base period, s), {@code periods} (run length in base periods) and {@code bytes} (message size).
 * <ul>
 *   <li>{@code paper} / {@code poisson}: Poisson traffic between SI and MI_k VMs with the paper's class-pair rates
 *       (SI->SI : SI->MI = 2:1, MI->SI : MI->MI = 2:1, SI->MI : MI->MI = 2:1); {@code k}, {@code si} (share of SI
 *       VMs), {@code rate} (messages per VM per second). {@code paper} is the paper's setting: k=2, si=0.5.</li>
 *   <li>{@code halo2d}, {@code halo3d}: nearest-neighbour exchange on a periodic grid every {@code step} seconds.</li>
 *   <li>{@code alltoall}: every VM sends to every other VM once per phase of {@code step} seconds.</li>
 *   <li>{@code master-worker}: VM 0 hands tasks to workers in turn; a worker answers after an exponential compute
 *       time of mean {@code work} seconds.</li>
 *   <li>{@code pipeline}: items enter VM 0 at Poisson {@code rate} and pass stage to stage with {@code work}
 *       seconds of processing each.</li>
 * </ul>
 */
public final class Workloads {
  public static final List<String> NAMES = List.of("paper", "poisson", "halo2d", "halo3d", "alltoall", "master-worker", "pipeline");

  private Workloads() {}

  public static Traffic generate(String spec, long seed) {
    WorkloadSettings s = WorkloadSettings.parse(spec);
    Random r = new Random(seed);
    Traffic t = switch (s.name()) {
      case "paper" -> poisson(s, r, 2, 0.5);
      case "poisson" -> poisson(s, r, s.integer("k", 2), s.number("si", 0.5));
      case "halo2d" -> halo(s, r, 2);
      case "halo3d" -> halo(s, r, 3);
      case "alltoall" -> allToAll(s, r);
      case "master-worker" -> masterWorker(s, r);
      case "pipeline" -> pipeline(s, r);
      default -> throw new IllegalArgumentException("unknown workload '" + s.name() + "'; known: " + String.join(", ", NAMES));
    };
    s.checkAllUsed();
    return t;
  }

  private static double t0(WorkloadSettings s) {
    double t0 = s.number("t0", 60);
    if (t0 <= 0) throw new IllegalArgumentException("t0 must be > 0");
    return t0;
  }

  private static double duration(WorkloadSettings s, double t0) {
    int periods = s.integer("periods", 20);
    if (periods < 2) throw new IllegalArgumentException("periods must be at least 2");
    return periods * t0;
  }

  private static int vms(WorkloadSettings s, int defaultValue) {
    int vms = s.integer("vms", defaultValue);
    if (vms < 2) throw new IllegalArgumentException("vms must be at least 2");
    return vms;
  }

  private static long bytes(WorkloadSettings s, long defaultValue) {
    long b = (long) s.number("bytes", defaultValue);
    if (b < 0) throw new IllegalArgumentException("bytes must be >= 0");
    return b;
  }

  private static Traffic poisson(WorkloadSettings s, Random r, int k, double siShare) {
    if (k < 2) throw new IllegalArgumentException("k must be at least 2 (MI_k)");
    if (siShare <= 0 || siShare >= 1) throw new IllegalArgumentException("si must be strictly between 0 and 1");
    int vms = vms(s, 16);
    double t0 = t0(s), duration = duration(s, t0);
    double rate = s.number("rate", 1.0);
    long bytes = bytes(s, 4096);
    // VMs alternate classes in numbering so that every host runs both classes; the first round(si*vms) slots of
    // an interleaved order are SI.
    int siCount = (int) Math.round(siShare * vms);
    if (siCount < 1 || siCount >= vms) throw new IllegalArgumentException("si=" + siShare + " leaves a class empty");
    int[] cls = new int[vms];
    List<Integer> si = new ArrayList<>(), mi = new ArrayList<>();
    for (int i = 0; i < vms; i++) {
      boolean isSi = (long) (i + 1) * siCount / vms > (long) i * siCount / vms;
      cls[i] = isSi ? 1 : k;
      (isSi ? si : mi).add(i);
    }
    // Aggregate class-pair weights: the paper's 4:2:2:1 at an even split, scaled by how many pairs each class has.
    double half = vms / 2.0;
    double[] w = {
        4 * si.size() * (si.size() - 1) / (half * half), 2 * si.size() * mi.size() / (half * half),
        2 * mi.size() * si.size() / (half * half), 1 * mi.size() * (mi.size() - 1) / (half * half)};
    if (s.name().equals("paper")) w = new double[] {4, 2, 2, 1};
    double total = w[0] + w[1] + w[2] + w[3];
    List<double[]> sends = new ArrayList<>();
    double t = 0, lambda = rate * vms;
    while (true) {
      t += -Math.log(1 - r.nextDouble()) / lambda;
      if (t >= duration) break;
      double u = r.nextDouble() * total;
      int pair = u < w[0] ? 0 : u < w[0] + w[1] ? 1 : u < w[0] + w[1] + w[2] ? 2 : 3;
      List<Integer> from = pair < 2 ? si : mi, to = pair % 2 == 0 ? si : mi;
      int src = from.get(r.nextInt(from.size()));
      int dst;
      do { dst = to.get(r.nextInt(to.size())); } while (dst == src && to.size() > 1);
      if (dst == src) continue;
      sends.add(new double[] {t, src, dst, bytes});
    }
    return new Traffic(s.label(), vms, sends, new VmClasses(cls), t0);
  }

  private static Traffic halo(WorkloadSettings s, Random r, int dims) {
    int vms = vms(s, dims == 2 ? 16 : 27);
    int side = (int) Math.round(Math.pow(vms, 1.0 / dims));
    if (Math.pow(side, dims) != vms) throw new IllegalArgumentException("halo" + dims + "d needs a " + dims + "-power VM count, got " + vms);
    double t0 = t0(s), duration = duration(s, t0), step = s.number("step", 2.0);
    if (step <= 0) throw new IllegalArgumentException("step must be > 0");
    long bytes = bytes(s, 32768);
    List<double[]> sends = new ArrayList<>();
    for (double t = step * r.nextDouble(); t < duration; t += step) {
      for (int v = 0; v < vms; v++) {
        int[] c = coords(v, side, dims);
        for (int d = 0; d < dims; d++) {
          for (int dir = -1; dir <= 1; dir += 2) {
            int[] n = c.clone();
            n[d] = (n[d] + dir + side) % side;
            int dst = index(n, side);
            if (dst != v) sends.add(new double[] {t + 0.01 * step * r.nextDouble(), v, dst, bytes});
          }
        }
      }
    }
    return new Traffic(s.label(), vms, sends, null, t0);
  }

  private static int[] coords(int v, int side, int dims) {
    int[] c = new int[dims];
    for (int d = 0; d < dims; d++) { c[d] = v % side; v /= side; }
    return c;
  }

  private static int index(int[] c, int side) {
    int v = 0;
    for (int d = c.length - 1; d >= 0; d--) v = v * side + c[d];
    return v;
  }

  private static Traffic allToAll(WorkloadSettings s, Random r) {
    int vms = vms(s, 16);
    double t0 = t0(s), duration = duration(s, t0), step = s.number("step", 10.0);
    if (step <= 0) throw new IllegalArgumentException("step must be > 0");
    long bytes = bytes(s, 16384);
    List<double[]> sends = new ArrayList<>();
    for (double t = step * r.nextDouble(); t < duration; t += step) {
      for (int v = 0; v < vms; v++) {
        for (int d = 0; d < vms; d++) if (d != v) sends.add(new double[] {t + 0.05 * step * r.nextDouble(), v, d, bytes});
      }
    }
    return new Traffic(s.label(), vms, sends, null, t0);
  }

  private static Traffic masterWorker(WorkloadSettings s, Random r) {
    int vms = vms(s, 16);
    double t0 = t0(s), duration = duration(s, t0), work = s.number("work", 5.0);
    if (work <= 0) throw new IllegalArgumentException("work must be > 0");
    long bytes = bytes(s, 65536);
    List<double[]> sends = new ArrayList<>();
    double[] freeAt = new double[vms];
    double t = 0;
    int w = 1;
    while (t < duration) {
      sends.add(new double[] {t, 0, w, bytes});
      double done = Math.max(t, freeAt[w]) + -Math.log(1 - r.nextDouble()) * work;
      freeAt[w] = done;
      if (done < duration) sends.add(new double[] {done, w, 0, bytes / 8});
      w = w % (vms - 1) + 1;
      t += work / (vms - 1);
    }
    return new Traffic(s.label(), vms, sends, null, t0);
  }

  private static Traffic pipeline(WorkloadSettings s, Random r) {
    int vms = vms(s, 16);
    double t0 = t0(s), duration = duration(s, t0), rate = s.number("rate", 2.0), work = s.number("work", 0.05);
    if (rate <= 0 || work < 0) throw new IllegalArgumentException("rate must be > 0 and work >= 0");
    long bytes = bytes(s, 8192);
    List<double[]> sends = new ArrayList<>();
    double[] freeAt = new double[vms];
    for (double t = 0; ; ) {
      t += -Math.log(1 - r.nextDouble()) / rate;
      if (t >= duration) break;
      double at = t;
      for (int stage = 0; stage + 1 < vms; stage++) {
        at = Math.max(at, freeAt[stage]) + work;
        freeAt[stage] = at;
        if (at >= duration) break;
        sends.add(new double[] {at, stage, stage + 1, bytes});
      }
    }
    return new Traffic(s.label(), vms, sends, null, t0);
  }
}
