package org.vmqsc.sim.events;

import java.util.TreeMap;

/** One VM as the events show it: where its current execution runs, and what it was at each boundary. */
final class VmExecution {
  /** The guest at a base boundary: its checkpoint or log_segment event. */
  record Boundary(long state, long position, long[] sent, long[] received, String where) {}

  /** The guest when it failed. */
  record Failure(long state, long position, String where) {}

  final int vm;
  boolean started;
  boolean running;
  String host = "";
  String startedAt = "";
  final TreeMap<Long, Boundary> boundaries = new TreeMap<>();
  Failure failedAs;

  VmExecution(int vm) {
    this.vm = vm;
  }

  void startOn(String host, String where) {
    this.started = true;
    this.running = true;
    this.host = host;
    this.startedAt = where;
  }
}
