package org.vmqsc.sim;

import java.util.List;

/** The oracle found a run that is not a valid execution; carries the seed and the events that led there. */
public final class OracleViolation extends RuntimeException {
  private final long seed;
  private final List<SimEvent> trace;

  OracleViolation(String what, long seed, List<SimEvent> trace) {
    super(what + " (seed " + seed + ")\nlast events:\n" + String.join("\n", trace.stream().map(SimEvent::toString).toList()));
    this.seed = seed;
    this.trace = List.copyOf(trace);
  }

  public long seed() {
    return seed;
  }

  public List<SimEvent> trace() {
    return trace;
  }
}
