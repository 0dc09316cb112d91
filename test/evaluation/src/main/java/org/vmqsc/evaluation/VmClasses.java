package org.vmqsc.evaluation;

import java.util.Arrays;

/**
 * The VM_QSC class of each VM as its checkpoint interval in base periods: 1 is SI, k >= 2 is MI_k.
 * Other protocols ignore it.
 */
public final class VmClasses {
  private final int[] k;

  public VmClasses(int[] k) {
    for (int i = 0; i < k.length; i++) {
      if (k[i] < 1) throw new IllegalArgumentException("VM " + i + ": interval " + k[i] + " (SI is 1, MI_k needs k >= 2)");
    }
    this.k = k.clone();
  }

  public static VmClasses allSi(int vms) {
    int[] k = new int[vms];
    Arrays.fill(k, 1);
    return new VmClasses(k);
  }

  /** Parses "SI,MI_2,MI_3,..." (one per VM). */
  public static VmClasses parse(String list) {
    String[] parts = list.split(",");
    int[] k = new int[parts.length];
    for (int i = 0; i < parts.length; i++) k[i] = parseOne(parts[i].trim());
    return new VmClasses(k);
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
  public boolean isSi(int vm) { return k[vm] == 1; }
  public boolean isDueAt(int vm, long index) { return index % k[vm] == 0; }
  public String name(int vm) { return k[vm] == 1 ? "SI" : "MI_" + k[vm]; }

  @Override public String toString() {
    StringBuilder b = new StringBuilder();
    for (int v = 0; v < k.length; v++) b.append(v == 0 ? "" : ",").append(name(v));
    return b.toString();
  }
}
