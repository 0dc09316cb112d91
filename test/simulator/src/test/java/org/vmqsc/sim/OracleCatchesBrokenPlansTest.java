package org.vmqsc.sim;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;
import org.junit.Test;
import org.vmqsc.protocol.recovery.RecoveryPlan;
import org.vmqsc.protocol.recovery.Replay;
import org.vmqsc.protocol.recovery.VmRestore;

/**
 * The oracle must be able to fail: each test breaks the planner's answer in one way (fault injection) and expects
 * the oracle to stop the run with a violation, over several seeds.
 */
public class OracleCatchesBrokenPlansTest {

  /**
   * Guests the hosts do not log causally (as real guests): every survivor that heard from a failed VM after its
   * stable state rolls back, which gives the tampering below something to break.
   */
  private static SimConfig.Builder group(long seed) {
    return SimConfig.builder().seed(seed).hosts(3).classes(SimConfig.mixedClasses(6, 0.5, 3))
        .workload(Workload.uniform(6)).periods(20).vmFailures(0).hostFailures(3).delays(1, 60)
        .deterministicGuests(false);
  }

  /** Every run in which the tampering really changed a plan must end in a violation. */
  private static void expectViolation(String what, UnaryOperator<RecoveryPlan> breakIt) {
    expectViolation(what, breakIt, false);
  }

  private static void expectViolation(String what, UnaryOperator<RecoveryPlan> breakIt, boolean causal) {
    int tampered = 0;
    int caught = 0;
    for (long seed = 1; seed <= 12; seed++) {
      AtomicBoolean changed = new AtomicBoolean();
      UnaryOperator<RecoveryPlan> spy = plan -> {
        RecoveryPlan broken = breakIt.apply(plan);
        if (!broken.equals(plan)) changed.set(true);
        return broken;
      };
      try {
        // Without the hosts' resends after a recovery, which would heal some dropped replays: the plan alone is judged.
        new Simulator(group(seed).deterministicGuests(causal).build(), EventSink.none()).tamperWithPlans(spy)
            .withoutResends().run();
      } catch (OracleViolation expected) {  // only the oracle counts: another exception is not a catch
        caught++;
      }
      if (changed.get()) tampered++;
    }
    assertTrue(what + ": only " + tampered + " runs were really tampered with", tampered >= 3);
    assertEquals(what + ": runs caught", tampered, caught);
  }

  @Test public void rollingBackOnlyTheFailedVmsLeavesOrphans() {
    expectViolation("rollback set cut to the failed VMs", plan -> {
      List<VmRestore> kept = plan.restores().stream().filter(r -> plan.failed().contains(r.vm())).toList();
      return new RecoveryPlan(plan.lineIndex(), plan.failed(), new TreeSet<>(plan.failed()), kept);
    });
  }

  @Test public void droppingReplaysLosesMessages() {
    expectViolation("replays dropped", plan -> new RecoveryPlan(plan.lineIndex(), plan.failed(), plan.rolledBack(),
        plan.restores().stream().map(r -> new VmRestore(r.vm(), r.incarnation(), r.checkpoint(), r.segments(),
            r.lineState(), List.of())).toList()));
  }

  @Test public void reorderingReplaysIsCaught() {
    expectViolation("replays reversed", plan -> new RecoveryPlan(plan.lineIndex(), plan.failed(), plan.rolledBack(),
        plan.restores().stream().map(r -> {
          List<Replay> reversed = new ArrayList<>(r.replays());
          Collections.reverse(reversed);
          return new VmRestore(r.vm(), r.incarnation(), r.checkpoint(), r.segments(), r.lineState(), reversed);
        }).toList()));
  }

  @Test public void anExtensionCutShortLeavesASurvivorDependingOnWhatTheFailedVmNoLongerDoes() {
    // Causal logging: a failed VM rebuilt past its boundary with its last receipt left out, and without the sends
    // it must make again before it takes anything new. Whoever depended on that receipt is an orphan now.
    expectViolation("extension cut short", plan -> new RecoveryPlan(plan.lineIndex(), plan.failed(),
        plan.rolledBack(), plan.restores().stream().map(r -> r.extension().isEmpty() ? r
            : new VmRestore(r.vm(), r.incarnation(), r.checkpoint(), r.segments(), r.lineState(), r.replays(),
                r.extension().subList(0, r.extension().size() - 1), List.of())).toList()), true);
  }

  @Test public void theUntamperedPlansPass() {
    for (long seed = 1; seed <= 10; seed++) {
      for (boolean causal : new boolean[] {false, true}) {
        try {
          new Simulator(group(seed).deterministicGuests(causal).build(), EventSink.none()).run();
        } catch (OracleViolation v) {
          fail(v.getMessage());
        }
      }
    }
  }
}
