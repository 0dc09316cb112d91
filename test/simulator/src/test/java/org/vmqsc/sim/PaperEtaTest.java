package org.vmqsc.sim;

import static org.junit.Assert.assertEquals;

import org.junit.Test;
import org.vmqsc.protocol.Eta;

/** The paper's section 5: SI and MI_2 VMs in equal numbers, its Poisson rates, no delay: eta = 1/6. */
public class PaperEtaTest {

  static SimConfig paperSetting(long seed) {
    return SimConfig.builder().seed(seed).hosts(4).classes(SimConfig.mixedClasses(16, 0.5, 2))
        .workload(Workload.paper(16, 8, 8, 4)).periods(400).maxDrift(0).delays(0, 0)
        .vmFailures(0).hostFailures(0).build();
  }

  @Test public void simulatedEtaIsWithinOneHundredthOfOneSixth() {
    SimReport r = new Simulator(paperSetting(1), EventSink.none()).run();
    double analytic = Eta.paper(16, 8, 8, 4);
    System.out.printf("eta: %.4f (analytic %.4f)%n", r.eta(), analytic);
    assertEquals(1.0 / 6, analytic, 1e-12);
    assertEquals(1.0 / 6, r.eta(), 0.01);
    assertEquals("no delay, no drift: nothing arrives late", 0, r.lateMessages);
    assertEquals("no delay, no drift: no forced checkpoint", 0, r.checkpointsForced);
  }

  @Test public void etaFollowsTheGeneralFormForMi3() {
    // Uniform traffic, half the VMs MI_3: eta = 0.5 * 2/3 (small drift and delay add a few late messages).
    SimConfig c = SimConfig.builder().seed(3).hosts(4).classes(java.util.List.of(
            org.vmqsc.protocol.VmClass.SI, org.vmqsc.protocol.VmClass.SI, org.vmqsc.protocol.VmClass.SI,
            org.vmqsc.protocol.VmClass.SI, org.vmqsc.protocol.VmClass.mi(3), org.vmqsc.protocol.VmClass.mi(3),
            org.vmqsc.protocol.VmClass.mi(3), org.vmqsc.protocol.VmClass.mi(3)))
        .workload(Workload.uniform(10)).periods(300).maxDrift(0).delays(0, 0).vmFailures(0).hostFailures(0).build();
    SimReport r = new Simulator(c, EventSink.none()).run();
    assertEquals(Eta.general(new double[] {1, 1}, new int[] {1, 3}), r.eta(), 0.01);
  }
}
