package org.vmqsc.evaluation;

/** A crash at {@code time}: one VM (its host survives) or a whole host with every VM on it. */
public record Failure(double time, Kind kind, int target) {
  public enum Kind { VM, HOST }

  @Override public String toString() {
    return kind.name().toLowerCase() + " " + target + " at " + time;
  }
}
