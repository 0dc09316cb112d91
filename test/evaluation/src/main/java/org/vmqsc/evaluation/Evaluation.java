package org.vmqsc.evaluation;

import java.util.ArrayList;
import java.util.List;
import org.vmqsc.evaluation.policy.Policies;
import org.vmqsc.evaluation.sim.Simulation;

/** Runs the chosen protocols over one scenario, each over the same events and failures, and collects the rows. */
public final class Evaluation {
  private final TimeModel timeModel;
  private final CostModel costModel;
  private final long seed;

  public Evaluation(TimeModel timeModel, CostModel costModel, long seed) {
    this.timeModel = timeModel;
    this.costModel = costModel;
    this.seed = seed;
  }

  public List<Simulation.Outcome> run(Scenario scenario, List<String> protocols, Simulation.ProgressListener progress) {
    Simulation sim = new Simulation(scenario, timeModel, costModel, seed);
    List<Simulation.Outcome> out = new ArrayList<>();
    for (int i = 0; i < protocols.size(); i++) {
      int done = i;
      out.add(sim.run(Policies.create(protocols.get(i)),
          (d, total) -> progress.progress(done * total + d, (long) protocols.size() * total)));
    }
    return out;
  }
}
