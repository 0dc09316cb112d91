package org.vmqsc.evaluation.policy;

import java.util.ArrayList;
import java.util.List;
import org.vmqsc.evaluation.CostModel;
import org.vmqsc.evaluation.Failure;
import org.vmqsc.evaluation.Scenario;
import org.vmqsc.evaluation.sim.Cut;
import org.vmqsc.evaluation.sim.Timeline;

/** Bookkeeping every protocol shares: per-VM checkpoint history (starting with the initial state) and the counters. */
public abstract class AbstractPolicy implements Policy {
  protected PolicyContext context;
  protected Scenario scenario;
  protected Timeline timeline;
  protected CostModel cost;
  protected Tally tally;
  protected List<List<Checkpoint>> checkpoints;

  @Override public void start(PolicyContext context) {
    this.context = context;
    this.scenario = context.scenario();
    this.timeline = context.timeline();
    this.cost = context.costModel();
    this.tally = context.tally();
    checkpoints = new ArrayList<>();
    for (int v = 0; v < scenario.vms(); v++) {
      List<Checkpoint> list = new ArrayList<>();
      // The initial state is on stable storage before the run starts (the VM's image).
      list.add(new Checkpoint(v, 0, 0, Cut.at(0), false, 0, hostOf(v)));
      checkpoints.add(list);
    }
  }

  /** The checkpoints a VM took so far, oldest first, starting with its initial state. */
  public List<Checkpoint> checkpointsOf(int vm) {
    return java.util.Collections.unmodifiableList(checkpoints.get(vm));
  }

  protected int hostOf(int vm) {
    return scenario.placement().hostOf(vm);
  }

  protected boolean failedBy(Failure f, int vm) {
    return f.kind() == Failure.Kind.VM ? f.target() == vm : hostOf(vm) == f.target();
  }

  /** Records a checkpoint, counts it, and charges its write to stable storage. */
  protected Checkpoint takeCheckpoint(int vm, long index, double time, Cut cut, boolean forced) {
    Checkpoint c = new Checkpoint(vm, index, time, cut, forced, time + cost.checkpointWriteSeconds(), hostOf(vm));
    checkpoints.get(vm).add(c);
    if (forced) tally.forcedCheckpoints++; else tally.basicCheckpoints++;
    tally.storageWrite(time, cost.checkpointBytes());
    return c;
  }

  /** The VM's latest checkpoint that survives the failure and was taken before it. */
  protected Checkpoint latestUsable(int vm, Failure f) {
    List<Checkpoint> list = checkpoints.get(vm);
    for (int i = list.size() - 1; i >= 0; i--) {
      Checkpoint c = list.get(i);
      if (c.time() <= f.time() && c.usableAfter(f)) return c;
    }
    throw new IllegalStateException("the initial state is always usable");
  }
}
