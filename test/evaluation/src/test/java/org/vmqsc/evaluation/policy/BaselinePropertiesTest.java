package org.vmqsc.evaluation.policy;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.pholser.junit.quickcheck.Property;
import com.pholser.junit.quickcheck.generator.InRange;
import com.pholser.junit.quickcheck.runner.JUnitQuickcheck;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.runner.RunWith;
import org.vmqsc.evaluation.CostModel;
import org.vmqsc.evaluation.Failure;
import org.vmqsc.evaluation.MessageEvent;
import org.vmqsc.evaluation.RandomScenarios;
import org.vmqsc.evaluation.Scenario;
import org.vmqsc.evaluation.TimeModel;
import org.vmqsc.evaluation.sim.RecoveryPlan;
import org.vmqsc.evaluation.sim.Restore;
import org.vmqsc.evaluation.sim.Simulation;

/** Each baseline's defining property, and the recovery oracle, over random workloads, placements and failures. */
@RunWith(JUnitQuickcheck.class)
public class BaselinePropertiesTest {

  private static Simulation.Outcome run(Scenario s, Policy p) {
    return new Simulation(s, TimeModel.standard(), CostModel.standard(), 7).run(p, Simulation.ProgressListener.NONE);
  }

  private static Scenario scenario(int kind, int vms, int k, int perHost, long seed) {
    return RandomScenarios.make(kind, vms, k, perHost, seed);
  }

  private static void assertOracleAccepts(Simulation.Outcome o, String protocol) {
    for (int i = 0; i < o.plans().size(); i++) {
      assertTrue(protocol + " at " + o.plans().get(i).failure() + ": " + o.violations().get(i), o.violations().get(i).isEmpty());
    }
  }

  private static Set<Integer> failedVms(Scenario s, Failure f) {
    Set<Integer> out = new HashSet<>();
    for (int v = 0; v < s.vms(); v++) {
      if (f.kind() == Failure.Kind.VM ? f.target() == v : s.placement().hostOf(v) == f.target()) out.add(v);
    }
    return out;
  }

  @Property(trials = 30)
  public void coordinatedLogsNothingAndRollsBackEveryVm(@InRange(minInt = 0, maxInt = 4) int kind,
      @InRange(minInt = 4, maxInt = 12) int vms, @InRange(minInt = 2, maxInt = 3) int k,
      @InRange(minInt = 1, maxInt = 4) int perHost, @InRange(minLong = 1, maxLong = 1000) long seed) {
    Scenario s = scenario(kind, vms, k, perHost, seed);
    for (Policy p : List.<Policy>of(new CoordinatedBlocking(), new ChandyLamport())) {
      Simulation.Outcome o = run(s, p);
      if (p instanceof CoordinatedBlocking) assertEquals(0, o.metrics().get("logged_messages"), 0);
      for (RecoveryPlan plan : o.plans()) assertEquals(p.name(), s.vms(), plan.restores().size());
      assertOracleAccepts(o, p.name());
    }
  }

  @Property(trials = 30)
  public void pessimisticLogsEveryMessageAndRollsBackExactlyTheFailedVms(@InRange(minInt = 0, maxInt = 4) int kind,
      @InRange(minInt = 4, maxInt = 12) int vms, @InRange(minInt = 2, maxInt = 3) int k,
      @InRange(minInt = 1, maxInt = 4) int perHost, @InRange(minLong = 1, maxLong = 1000) long seed) {
    Scenario s = scenario(kind, vms, k, perHost, seed);
    Simulation.Outcome o = run(s, new PessimisticLogging());
    assertEquals(s.messages().size(), o.metrics().get("logged_messages"), 0);
    for (RecoveryPlan plan : o.plans()) {
      Set<Integer> restored = new HashSet<>();
      for (Restore r : plan.restores()) restored.add(r.vm());
      assertEquals(failedVms(s, plan.failure()), restored);
    }
    assertOracleAccepts(o, "pessimistic-log");
  }

  @Property(trials = 30)
  public void bcsTakesNoCheckpointThatAHigherIndexDidNotForce(@InRange(minInt = 0, maxInt = 4) int kind,
      @InRange(minInt = 4, maxInt = 12) int vms, @InRange(minInt = 2, maxInt = 3) int k,
      @InRange(minInt = 1, maxInt = 4) int perHost, @InRange(minLong = 1, maxLong = 1000) long seed) {
    Scenario s = scenario(kind, vms, k, perHost, seed);
    IndexBasedCic bcs = new IndexBasedCic();
    Simulation sim = new Simulation(s, TimeModel.standard(), CostModel.standard(), 7);
    Simulation.Outcome o = sim.run(bcs, Simulation.ProgressListener.NONE);
    long basic = 0, forced = 0;
    for (int v = 0; v < s.vms(); v++) {
      List<Checkpoint> list = bcs.checkpointsOf(v);
      for (int i = 1; i < list.size(); i++) {
        Checkpoint c = list.get(i), before = list.get(i - 1);
        if (!c.forced()) {
          basic++;
          assertEquals("a basic checkpoint advances the index by one", before.index() + 1, c.index());
          continue;
        }
        forced++;
        // A forced checkpoint is taken just before delivering a message to this VM whose index is higher.
        MessageEvent trigger = null;
        for (MessageEvent m : s.messages()) {
          if (m.dst() == v && sim.timeline().receivePos(m.id()) == c.cut().receivesBefore()) trigger = m;
        }
        assertTrue("forced checkpoint of VM " + v + " at " + c.time() + " has no triggering message", trigger != null);
        assertEquals(bcs.indexCarried(trigger.id()), c.index());
        assertTrue("index " + c.index() + " is not higher than " + before.index(), c.index() > before.index());
      }
    }
    assertEquals(o.metrics().get("basic_checkpoints"), basic, 0);
    assertEquals(o.metrics().get("forced_checkpoints"), forced, 0);
    assertOracleAccepts(o, "bcs-cic");
  }

  @Property(trials = 30)
  public void vmqscRecoversConsistentlyAndAVmFailureTouchesOnlyThatVm(@InRange(minInt = 0, maxInt = 4) int kind,
      @InRange(minInt = 4, maxInt = 12) int vms, @InRange(minInt = 2, maxInt = 3) int k,
      @InRange(minInt = 1, maxInt = 4) int perHost, @InRange(minLong = 1, maxLong = 1000) long seed) {
    Scenario s = scenario(kind, vms, k, perHost, seed);
    Simulation.Outcome o = run(s, new VmQscRuntime());
    for (RecoveryPlan plan : o.plans()) {
      Set<Integer> restored = new HashSet<>();
      for (Restore r : plan.restores()) restored.add(r.vm());
      if (plan.failure().kind() == Failure.Kind.VM) assertEquals(Set.of(plan.failure().target()), restored);
      else assertTrue(restored.containsAll(failedVms(s, plan.failure())));
    }
    assertOracleAccepts(o, "vmqsc");
    // The harness's own reading of the rules, written from the algorithm's description, agrees with the shipping
    // runtime on what is checkpointed and logged.
    Simulation.Outcome rules = run(s, new VmQsc(VmQsc.Reading.VMQSC));
    for (String m : List.of("basic_checkpoints", "forced_checkpoints", "logged_messages")) {
      assertEquals(m, rules.metrics().get(m), o.metrics().get(m), 0);
    }
    // The runtime writes a late message received by an MI VM twice (at once, and in the VM's log segment).
    assertTrue(o.metrics().get("eta_bytes") >= rules.metrics().get("eta_bytes"));
    assertOracleAccepts(rules, "vmqsc rules");
  }
}
