package org.vmqsc.evaluation.sim;

/**
 * One VM that a recovery rolls back: it restarts from {@code checkpoint} (taken at {@code checkpointTime}, read from
 * {@code source}) and, by deterministic replay of logged receives, rebuilds its state up to {@code recovered}.
 */
public record Restore(int vm, Cut checkpoint, double checkpointTime, Source source, Cut recovered) {
  public static Restore withoutReplay(int vm, Cut checkpoint, double checkpointTime, Source source) {
    return new Restore(vm, checkpoint, checkpointTime, source, checkpoint);
  }
}
