package org.vmqsc.protocol;

/**
 * The share of messages VM_QSC writes to stable storage, analytically (the paper's section 5, with no delay and
 * no forced checkpoints). An MI_k VM writes its receive log at the k-1 boundaries between its own checkpoints, so
 * a share (k-1)/k of what it receives goes to stable storage; SI VMs write none.
 */
public final class Eta {

  private Eta() {}

  /**
   * The paper's two-class formula: SI and MI_2 VMs in equal numbers, Poisson rates SI->SI {@code a1},
   * SI->MI2 {@code a2}, MI2->SI {@code b1}, MI2->MI2 {@code b2}: eta = (a2 + b2) / (2 (a1 + b1 + a2 + b2)).
   */
  public static double paper(double a1, double a2, double b1, double b2) {
    return general(new double[] {a1 + b1, a2 + b2}, new int[] {1, 2});
  }

  /**
   * The general form: {@code received[c]} is the rate at which VMs of class c receive messages (all VMs of the
   * class together) and {@code period[c]} its period in base periods (1 for SI, k for MI_k).
   */
  public static double general(double[] received, int[] period) {
    double total = 0;
    double logged = 0;
    for (int c = 0; c < received.length; c++) {
      total += received[c];
      logged += received[c] * (period[c] - 1) / period[c];
    }
    if (total <= 0) throw new IllegalArgumentException("no traffic: eta is undefined");
    return logged / total;
  }
}
