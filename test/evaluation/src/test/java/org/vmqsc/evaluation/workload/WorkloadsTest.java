package org.vmqsc.evaluation.workload;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.List;
import org.junit.Test;

public class WorkloadsTest {

  @Test public void thePaperSettingHasItsClassPairRates() {
    Traffic t = Workloads.generate("paper:periods=40", 4);
    double[] pair = new double[4];   // SI->SI, SI->MI, MI->SI, MI->MI
    for (double[] s : t.sends()) {
      boolean srcSi = t.classes().isSi((int) s[1]), dstSi = t.classes().isSi((int) s[2]);
      pair[(srcSi ? 0 : 2) + (dstSi ? 0 : 1)]++;
    }
    assertEquals(2, pair[0] / pair[1], 0.1);   // SI->SI : SI->MI
    assertEquals(2, pair[2] / pair[3], 0.1);   // MI->SI : MI->MI
    assertEquals(2, pair[1] / pair[3], 0.1);   // SI->MI : MI->MI
    // Analytic eta: MI receivers' share x (k-1)/k.
    assertEquals(1.0 / 6, (pair[1] + pair[3]) / t.sends().size() / 2, 0.01);
  }

  @Test public void sweepsChangeSkewAndK() {
    Traffic t = Workloads.generate("poisson:si=0.25,k=3,vms=16,periods=3", 1);
    long si = java.util.stream.IntStream.range(0, 16).filter(v -> t.classes().isSi(v)).count();
    assertEquals(4, si);
    for (int v = 0; v < 16; v++) assertTrue(t.classes().isSi(v) || t.classes().interval(v) == 3);
  }

  @Test public void haloTalksOnlyToGridNeighbours() {
    Traffic t = Workloads.generate("halo3d:vms=27,periods=2", 1);
    for (double[] s : t.sends()) {
      int a = (int) s[1], b = (int) s[2];
      int diff = 0;
      for (int d = 0, x = a, y = b; d < 3; d++, x /= 3, y /= 3) if (x % 3 != y % 3) diff++;
      assertEquals(1, diff);
    }
  }

  @Test public void everyGeneratorIsDeterministicPerSeed() {
    for (String w : Workloads.NAMES) {
      String spec = w.startsWith("halo3d") ? w + ":periods=2" : w + ":periods=2";
      List<double[]> a = Workloads.generate(spec, 3).sends(), b = Workloads.generate(spec, 3).sends();
      assertEquals(w, a.size(), b.size());
      for (int i = 0; i < a.size(); i++) org.junit.Assert.assertArrayEquals(a.get(i), b.get(i), 0);
      assertTrue(w + " generates traffic", a.size() > 0);
    }
  }

  @Test public void badSpecsAreRejectedClearly() {
    String[][] cases = {
        {"nosuch", "unknown workload 'nosuch'"}, {"paper:vsm=3", "workload paper has no parameter 'vsm'"},
        {"halo2d:vms=10", "halo2d needs a 2-power VM count, got 10"}, {"poisson:k=1", "k must be at least 2"},
        {"poisson:si=1", "si must be strictly between 0 and 1"}, {"paper:periods=x", "workload parameter periods=x is not a number"},
        {"paper:t0", "workload parameter 't0' is not key=value"}};
    for (String[] c : cases) {
      try {
        Workloads.generate(c[0], 1);
        fail("accepted " + c[0]);
      } catch (IllegalArgumentException e) {
        assertTrue(c[0] + ": " + e.getMessage(), e.getMessage().startsWith(c[1]));
      }
    }
  }
}
