package org.vmqsc.evaluation.policy;

import org.vmqsc.evaluation.CostModel;
import org.vmqsc.evaluation.Scenario;
import org.vmqsc.evaluation.TimeModel;
import org.vmqsc.evaluation.sim.Timeline;

/** What the simulation hands a protocol: the scenario, the event order, the models, timers and the counters. */
public interface PolicyContext {
  Scenario scenario();
  Timeline timeline();
  TimeModel timeModel();
  CostModel costModel();
  Tally tally();
  long seed();

  /** Runs {@code action} at real time {@code time}, before any message event at that same time. */
  void schedule(double time, TimerAction action);

  interface TimerAction {
    void fire(double time, long position);
  }
}
