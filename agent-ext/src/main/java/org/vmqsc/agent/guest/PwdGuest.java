package org.vmqsc.agent.guest;

import java.util.SplittableRandom;

/**
 * A piecewise-deterministic guest. Its state is a hash over everything it did and received, in order; what it
 * sends next, to whom, and how long it waits before doing so depend on that state alone. Its position counts the
 * messages it sent (its deterministic steps). It keeps its own counts of what it sent and received per peer, the
 * ground truth the oracle compares with the protocol's bookkeeping.
 */
public final class PwdGuest {
  public final int vm;
  public long hash;
  public long position;
  public final long[] sent;
  public final long[] received;

  public PwdGuest(int vm, int groupSize, long seed) {
    this.vm = vm;
    this.hash = mix(seed, vm);
    this.sent = new long[groupSize];
    this.received = new long[groupSize];
  }

  private PwdGuest(PwdGuest g) {
    vm = g.vm;
    hash = g.hash;
    position = g.position;
    sent = g.sent.clone();
    received = g.received.clone();
  }

  /** A guest in a state recorded earlier (a checkpoint). */
  public static PwdGuest of(int vm, long hash, long position, long[] sent, long[] received) {
    PwdGuest g = new PwdGuest(vm, sent.length, 0);
    g.hash = hash;
    g.position = position;
    System.arraycopy(sent, 0, g.sent, 0, sent.length);
    System.arraycopy(received, 0, g.received, 0, received.length);
    return g;
  }

  /**
   * The bytes of a message this guest model sends: its digest and channel, so a delivery can tell that the
   * relays and logs carried it intact.
   */
  public static byte[] payload(int from, int to, long digest) {
    return java.nio.ByteBuffer.allocate(16).putLong(digest).putInt(from).putInt(to).array();
  }

  /** Cumulative send rates over the group for one sender: {@code perPeriod} spread uniformly over the others. */
  public static double[] uniformRates(int vm, int groupSize, double perPeriod) {
    double[] cumulative = new double[groupSize];
    double each = groupSize > 1 ? perPeriod / (groupSize - 1) : 0;
    double sum = 0;
    for (int to = 0; to < groupSize; to++) {
      if (to != vm) sum += each;
      cumulative[to] = sum;
    }
    return cumulative;
  }

  public PwdGuest copy() {
    return new PwdGuest(this);
  }

  /** The next send: destination, digest; advances the state. Deterministic in the state. */
  public Send step(double[] cumulativeRates) {
    SplittableRandom r = new SplittableRandom(hash);
    double total = cumulativeRates[cumulativeRates.length - 1];
    double u = r.nextDouble() * total;
    int to = 0;
    while (cumulativeRates[to] <= u || to == vm) to++;
    long digest = r.nextLong();
    position++;
    sent[to]++;
    hash = mix(hash ^ digest, 0x5EED_0000L + to);
    return new Send(to, digest);
  }

  public record Send(int to, long digest) {}

  /** How long until the next send, in base periods, drawn from the state (exponential with the given rate). */
  public double delayToNextSend(double ratePerPeriod) {
    SplittableRandom r = new SplittableRandom(hash ^ 0x9E3779B97F4A7C15L);
    return -Math.log(1 - r.nextDouble()) / ratePerPeriod;
  }

  public void receive(int from, long digest) {
    received[from]++;
    hash = mix(hash, digest * 31 + from);
  }

  public static long mix(long a, long b) {
    long z = a * 0x9E3779B97F4A7C15L + b;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
