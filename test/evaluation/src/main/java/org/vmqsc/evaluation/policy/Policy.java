package org.vmqsc.evaluation.policy;

import org.vmqsc.evaluation.Failure;
import org.vmqsc.evaluation.MessageEvent;
import org.vmqsc.evaluation.sim.RecoveryPlan;

/**
 * One checkpointing protocol. The simulation feeds every policy the same sends and receives, in the same order, and
 * asks it at each failure time what it would restore and replay. Failures are probes: the run goes on unchanged
 * after them, so every protocol sees the same history and the same failures.
 */
public interface Policy {
  /** Short stable name used on the command line and in reports. */
  String name();

  void start(PolicyContext context);

  void onSend(MessageEvent message, long position);

  void onReceive(MessageEvent message, long position);

  RecoveryPlan recover(Failure failure, long position);

  /** Called once after the last event, at the end of the scenario. */
  default void finish(double endTime) {}
}
