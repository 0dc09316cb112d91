package org.vmqsc.evaluation.sim;

/** A message the recovery delivers again, read from {@code source} (a log, or a recorded channel state). */
public record Replay(int message, Source source) {}
