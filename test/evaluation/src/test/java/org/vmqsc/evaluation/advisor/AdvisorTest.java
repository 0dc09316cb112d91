package org.vmqsc.evaluation.advisor;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.Test;
import org.vmqsc.evaluation.CostModel;
import org.vmqsc.evaluation.Scenario;
import org.vmqsc.evaluation.ScenarioBuilder;
import org.vmqsc.evaluation.TimeModel;
import org.vmqsc.evaluation.VmClasses;
import org.vmqsc.evaluation.workload.Traffic;

public class AdvisorTest {
  private final CostModel cost = new CostModel(0.3, 10_000_000, 100e6, 1e-3);

  @Test public void youngPeriodIsSquareRootOfTwiceCostTimesGroupMtbf() {
    // C = 0.3 + 0.1 s; M = 40000 s / 4 hosts.
    assertEquals(Math.sqrt(2 * 0.4 * 10_000), Advisor.youngPeriod(cost, 40_000, 4), 1e-9);
  }

  @Test public void heavyReceiversStaySiAndLightOnesGetLongerIntervals() {
    List<double[]> sends = new ArrayList<>();
    // Over 100 s with T0 = 10 s: VM 1 receives 100 MB per period (heavy), VM 2 1 MB, VM 3 nothing.
    for (int i = 0; i < 100; i++) {
      sends.add(new double[] {i, 0, 1, 10_000_000});
      if (i % 10 == 0) sends.add(new double[] {i, 0, 2, 1_000_000});
    }
    VmClasses c = Advisor.classes(sends, 4, 100, 10, cost, 4);
    assertTrue(c.isSi(1));
    assertEquals(4, c.interval(2));   // 10 MB checkpoint / (2 x 1 MB) = 5, capped at 4
    assertEquals(4, c.interval(3));
    VmClasses blind = Advisor.trafficBlind(c, 1);
    List<Integer> a = new ArrayList<>(), b = new ArrayList<>();
    for (int v = 0; v < 4; v++) { a.add(c.interval(v)); b.add(blind.interval(v)); }
    a.sort(null); b.sort(null);
    assertEquals("the blind assignment hands out the same classes", a, b);
  }

  @Test public void anMiVmCheckpointsRightAfterItsBursts() {
    // 170 s, T0 = 10 s: boundaries 1..16. VM 1 receives 1 MB in periods 3, 7, 11 and 15 (ending at those
    // boundaries, n mod 4 == 3) and a little in the others: MI_4, phase 3, so no burst goes to the stable log.
    List<double[]> sends = new ArrayList<>();
    for (int p = 1; p <= 16; p++) sends.add(new double[] {(p - 1) * 10 + 5, 0, 1, p % 4 == 3 ? 1_000_000 : 1_000});
    VmClasses c = Advisor.classes(sends, 2, 170, 10, cost, 4);
    assertEquals(4, c.interval(1));
    assertEquals(3, c.phase(1));
    assertEquals("MI_4@3", c.name(1));
    assertTrue(c.isDueAt(1, 7));
    // Even traffic: every phase logs as much, and over 16 boundaries each takes 4 checkpoints; the lowest wins.
    sends.clear();
    for (int p = 1; p <= 16; p++) sends.add(new double[] {(p - 1) * 10 + 5, 0, 1, 1_000});
    assertEquals(0, Advisor.classes(sends, 2, 170, 10, cost, 4).phase(1));
    // Over 15 boundaries phase 0 takes one checkpoint fewer than the others (4, 8, 12): it wins.
    assertEquals(0, Advisor.classes(sends, 2, 160, 10, cost, 4).phase(1));
    assertEquals("MI_2@1", VmClasses.parse("SI,MI_2@1").name(1));
    // The traffic-blind assignment moves each class with its phase.
    VmClasses blind = Advisor.trafficBlind(VmClasses.parse("SI,MI_4@3,MI_2@1,MI_3"), 5);
    List<String> names = new ArrayList<>();
    for (int v = 0; v < 4; v++) names.add(blind.name(v));
    names.sort(null);
    assertEquals(List.of("MI_2@1", "MI_3", "MI_4@3", "SI"), names);
  }

  @Test public void frequentFailuresShortenTheIntervalsStorageAloneWouldChoose() {
    // A VM that receives nothing: MI_4 by storage. Checkpoint cost (0.3 s + 0.1 s) / (k 10 s), rework f k 5 s.
    List<double[]> sends = new ArrayList<>();
    sends.add(new double[] {0, 1, 0, 1});
    assertEquals(4, Advisor.classes(sends, 2, 100, 10, cost, 4, 0).interval(1));
    assertEquals("rare failures change nothing", 4, Advisor.classes(sends, 2, 100, 10, cost, 4, 1e-6).interval(1));
    // f = 0.001/s: cost(1) = 0.045, cost(2) = 0.030, cost(3) = 0.0283, cost(4) = 0.030: MI_3.
    assertEquals(3, Advisor.classes(sends, 2, 100, 10, cost, 4, 0.001).interval(1));
    // f = 0.01/s: rework dominates, SI.
    assertTrue(Advisor.classes(sends, 2, 100, 10, cost, 4, 0.01).isSi(1));
    // Its own host's failures count (causal logging keeps the others from rolling it back), and its own failures.
    assertEquals(1 / 1000.0 + 1 / 500.0, Advisor.rollbackRate(1000, 500), 1e-12);
    assertEquals(1 / 1000.0, Advisor.rollbackRate(1000, Double.POSITIVE_INFINITY), 1e-12);
  }

  @Test public void advisedClassesWriteLessThanBlindOnesOnSkewedTraffic() {
    // 16 VMs: 4 chatty ones exchange large messages, the others barely talk.
    List<double[]> sends = new ArrayList<>();
    java.util.Random r = new java.util.Random(2);
    for (int i = 0; i < 6000; i++) {
      double t = i * 0.1;
      int a = r.nextInt(4), b = (a + 1 + r.nextInt(3)) % 4;
      sends.add(new double[] {t, a, b, 200_000});
      if (i % 20 == 0) sends.add(new double[] {t, 4 + r.nextInt(12), r.nextInt(4), 1000});
    }
    Scenario s = new ScenarioBuilder().costModel(cost).basePeriod(30.0).seed(3).build(new Traffic("skewed", 16, sends, null, 30));
    AdvisorReport.Result res = AdvisorReport.compare(s, TimeModel.standard(), cost, 3600 * 24 * 30, 4, 3);
    for (int v = 0; v < 4; v++) assertTrue(res.advised().isSi(v));
    assertTrue(res.withAdvised().get("stable_mb_written") < res.withBlind().get("stable_mb_written"));
    assertEquals(0, res.withAdvised().get("inconsistent_recoveries"), 0);
  }
}
