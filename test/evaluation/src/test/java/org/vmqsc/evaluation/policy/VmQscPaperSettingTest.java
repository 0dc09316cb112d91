package org.vmqsc.evaluation.policy;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import org.junit.BeforeClass;
import org.junit.Test;
import org.vmqsc.evaluation.CostModel;
import org.vmqsc.evaluation.Metrics;
import org.vmqsc.evaluation.Scenario;
import org.vmqsc.evaluation.ScenarioBuilder;
import org.vmqsc.evaluation.TimeModel;
import org.vmqsc.evaluation.sim.Simulation;
import org.vmqsc.evaluation.workload.Workloads;

/** The paper's section-5 setting: SI and MI_2 in equal numbers with its class-pair rates gives eta = 1/6. */
public class VmQscPaperSettingTest {
  private static Scenario paper;
  private static Simulation sim;

  @BeforeClass public static void setUp() {
    paper = new ScenarioBuilder().seed(3).build(Workloads.generate("paper", 3));
    sim = new Simulation(paper, TimeModel.standard(), CostModel.standard(), 3);
  }

  private static Metrics run(VmQsc.Reading reading) {
    return sim.run(new VmQsc(reading), Simulation.ProgressListener.NONE).metrics();
  }

  private static Metrics runShippingRuntime() {
    return sim.run(new VmQscRuntime(), Simulation.ProgressListener.NONE).metrics();
  }

  @Test public void etaIsOneSixthWithTheShippingRuntime() {
    Metrics m = runShippingRuntime();
    assertEquals(1.0 / 6, m.get("eta_messages"), 0.01);
    assertEquals(1.0 / 6, m.get("eta_bytes"), 0.01);
  }

  @Test public void etaIsOneSixthInBothReadings() {
    for (VmQsc.Reading r : VmQsc.Reading.values()) {
      Metrics m = run(r);
      assertEquals(r + " eta_messages", 1.0 / 6, m.get("eta_messages"), 0.01);
      // Equal message sizes: the byte share matches the message share.
      assertEquals(r + " eta_bytes", m.get("eta_messages"), m.get("eta_bytes"), 1e-9);
    }
  }

  @Test public void theHalfOfVmsThatAreMi2CheckpointEveryOtherBoundary() {
    Metrics m = runShippingRuntime();
    // SI VMs checkpoint at every boundary their host's clock reaches within the run, MI_2 VMs at every other one;
    // in this reading a forced checkpoint only comes early, it never adds one.
    long expected = 0;
    for (int v = 0; v < paper.vms(); v++) {
      int host = paper.placement().hostOf(v);
      for (long n = 1; paper.boundaryTime(host, n) < paper.duration(); n++) if (paper.classes().isDueAt(v, n)) expected++;
    }
    assertEquals(16, paper.vms());
    assertEquals(8, java.util.stream.IntStream.range(0, 16).filter(v -> paper.classes().isSi(v)).count());
    assertEquals(expected, m.get("basic_checkpoints") + m.get("forced_checkpoints"), 0);
  }

  @Test public void theLiteralReadingLosesMessagesOnHostFailuresAndTheClosedOneDoesNot() {
    assertEquals(0, runShippingRuntime().get("inconsistent_recoveries"), 0);
    assertEquals(0, run(VmQsc.Reading.VMQSC).get("inconsistent_recoveries"), 0);
    assertTrue(run(VmQsc.Reading.PAPER).get("inconsistent_recoveries") > 0);
  }
}
