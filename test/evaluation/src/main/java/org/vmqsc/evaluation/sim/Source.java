package org.vmqsc.evaluation.sim;

/**
 * Where a checkpoint or a replayed message comes from at recovery: stable storage, or the memory (or local disk) of
 * one host, which a host failure wipes. A checkpoint on stable storage is usable only once its write finished.
 */
public record Source(int host, double availableFrom) {
  public static final int STABLE = -1;

  public static Source stable(double availableFrom) { return new Source(STABLE, availableFrom); }
  public static Source host(int host) { return new Source(host, 0); }

  public boolean isStable() { return host == STABLE; }

  @Override public String toString() {
    return isStable() ? "stable storage (from " + availableFrom + ")" : "host " + host;
  }
}
