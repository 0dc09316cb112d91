package org.vmqsc.evaluation;

import java.util.Arrays;

/**
 * The VM_QSC class of each VM as its checkpoint interval in base periods (1 is SI, k >= 2 is MI_k) and, for an MI
 * VM, its phase: it checkpoints at the boundaries n with n mod k == phase. Other protocols ignore both.
 */
public final class VmClasses {
  private final int[] k;
  private final int[] phase;

  public VmClasses(int[] k) {
    this(k, new int[k.length]);
  }

  public VmClasses(int[] k, int[] phase) {
    if (phase.length != k.length) throw new IllegalArgumentException(k.length + " intervals but " + phase.length + " phases");
    for (int i = 0; i < k.length; i++) {
      if (k[i] < 1) throw new IllegalArgumentException("VM " + i + ": interval " + k[i] + " (SI is 1, MI_k needs k >= 2)");
      if (phase[i] < 0 || phase[i] >= k[i]) {
        throw new IllegalArgumentException("VM " + i + ": phase " + phase[i] + " of interval " + k[i] + " (0.." + (k[i] - 1) + ")");
      }
    }
    this.k = k.clone();
    this.phase = phase.clone();
  }

  public static VmClasses allSi(int vms) {
    int[] k = new int[vms];
    Arrays.fill(k, 1);
    return new VmClasses(k);
  }

  /** Parses "SI,MI_2,MI_3@1,..." (one per VM; "@φ" gives an MI VM its phase). */
  public static VmClasses parse(String list) {
    String[] parts = list.split(",");
    int[] k = new int[parts.length];
    int[] phase = new int[parts.length];
    for (int i = 0; i < parts.length; i++) {
      String s = parts[i].trim();
      int at = s.indexOf('@');
      k[i] = parseOne(at < 0 ? s : s.substring(0, at));
      if (at >= 0) {
        try {
          phase[i] = Integer.parseInt(s.substring(at + 1));
        } catch (NumberFormatException e) {
          phase[i] = -1;
        }
        if (k[i] == 1 || phase[i] < 0 || phase[i] >= k[i]) {
          throw new IllegalArgumentException("'" + s + "' is not a VM class (the phase of MI_k is 0..k-1)");
        }
      }
    }
    return new VmClasses(k, phase);
  }

  public static int parseOne(String s) {
    if (s.equalsIgnoreCase("SI")) return 1;
    if (s.toUpperCase().startsWith("MI_")) {
      try {
        int k = Integer.parseInt(s.substring(3));
        if (k >= 2) return k;
      } catch (NumberFormatException ignored) {
        // falls through to the error below
      }
    }
    throw new IllegalArgumentException("'" + s + "' is not a VM class (SI or MI_k with k >= 2)");
  }

  public int vms() { return k.length; }
  public int interval(int vm) { return k[vm]; }
  public int phase(int vm) { return phase[vm]; }
  public boolean isSi(int vm) { return k[vm] == 1; }
  public boolean isDueAt(int vm, long index) { return index % k[vm] == phase[vm]; }
  public String name(int vm) { return k[vm] == 1 ? "SI" : "MI_" + k[vm] + (phase[vm] == 0 ? "" : "@" + phase[vm]); }

  @Override public String toString() {
    StringBuilder b = new StringBuilder();
    for (int v = 0; v < k.length; v++) b.append(v == 0 ? "" : ",").append(name(v));
    return b.toString();
  }
}
