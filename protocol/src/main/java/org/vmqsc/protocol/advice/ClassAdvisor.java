package org.vmqsc.protocol.advice;

import org.vmqsc.protocol.VmClass;

/**
 * Proposes a VM's class from its traffic. Making a VM MI_k saves (k-1)/k of its checkpoint bytes and costs the
 * same share of the bytes it receives, which go to the stable log instead. So a VM that receives, per base period,
 * at least half a checkpoint's worth stays SI (the margin pays for forced checkpoints and longer replays), and a
 * lighter one becomes MI_k with k = S / (2 R), capped at {@code maxK}: the lighter it is, the rarer its checkpoints.
 */
public final class ClassAdvisor {

  private ClassAdvisor() {}

  /** The proposed class and, in words, the figures it follows from. */
  public record ClassAdvice(VmClass proposed, String reason) {}

  /**
   * @param checkpointBytes         S: what one checkpoint of the VM writes to stable storage
   * @param receivedBytesPerPeriod  R: what the VM receives per base period
   * @param maxK                    the longest interval to propose (>= 2)
   */
  public static ClassAdvice propose(double checkpointBytes, double receivedBytesPerPeriod, int maxK) {
    if (maxK < 2) throw new IllegalArgumentException("maxK must be >= 2 (MI_k needs k >= 2), got " + maxK);
    if (checkpointBytes < 0 || receivedBytesPerPeriod < 0 || Double.isNaN(checkpointBytes)
        || Double.isNaN(receivedBytesPerPeriod)) {
      throw new IllegalArgumentException("checkpoint and received bytes must be >= 0, got " + checkpointBytes
          + " and " + receivedBytesPerPeriod);
    }
    double s = checkpointBytes, r = receivedBytesPerPeriod;
    String figures = "receives " + bytes(r) + " per period, a checkpoint writes " + bytes(s);
    if (r == 0) return new ClassAdvice(VmClass.mi(maxK), "receives nothing: MI_" + maxK + " (the longest allowed)");
    if (r >= s / 2) return new ClassAdvice(VmClass.SI, figures + ": at least half a checkpoint, so SI");
    int k = (int) Math.max(2, Math.min(maxK, Math.floor(s / (2 * r))));
    return new ClassAdvice(VmClass.mi(k), figures + ": k = S / 2R" + (k == maxK ? ", capped at " + maxK : ""));
  }

  /**
   * An MI_k VM's phase: the φ in 0..k-1 whose checkpoints and log segments write the fewest bytes over the traffic
   * seen. At a boundary n with n mod k = φ the VM checkpoints ({@code checkpointBytes}) and the bytes it received in
   * the base period that ends at n are not logged; at every other boundary they go to its log segment. So the phase
   * puts the checkpoints right after the periods in which the VM receives most. Over a window whose length is not a
   * multiple of k the phases take different numbers of checkpoints, which is weighed too. Ties go to the lowest
   * phase; with no traffic seen every phase ties, so 0.
   *
   * @param boundaries       the boundary indexes n of the window, each at most once
   * @param receivedBytes    for each of them, the bytes the VM received in the base period that ends at it
   */
  public static int phase(int k, double checkpointBytes, long[] boundaries, double[] receivedBytes) {
    if (k < 2) throw new IllegalArgumentException("a phase is for MI_k with k >= 2, got k = " + k);
    if (boundaries.length != receivedBytes.length) {
      throw new IllegalArgumentException(boundaries.length + " boundaries but " + receivedBytes.length
          + " received byte counts");
    }
    int best = 0;
    double bestBytes = Double.POSITIVE_INFINITY;
    for (int f = 0; f < k; f++) {
      double bytes = 0;
      for (int i = 0; i < boundaries.length; i++) {
        bytes += Math.floorMod(boundaries[i], (long) k) == f ? checkpointBytes : receivedBytes[i];
      }
      if (bytes < bestBytes - 1e-6) {
        bestBytes = bytes;
        best = f;
      }
    }
    return best;
  }

  private static String bytes(double b) {
    if (b >= 10 * 1024 * 1024) return Math.round(b / (1024 * 1024)) + " MiB";
    if (b >= 10 * 1024) return Math.round(b / 1024) + " KiB";
    return Math.round(b) + " B";
  }
}
