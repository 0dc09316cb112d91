package org.vmqsc.protocol;

/**
 * How often a VM checkpoints, in base periods: SI checkpoints at every base boundary, MI_k at every k-th one
 * (boundaries n with n mod k == 0). Communication-heavy VMs are SI; lightly communicating VMs are MI_k.
 */
public record VmClass(int period) {

  public static final VmClass SI = new VmClass(1);

  public VmClass {
    if (period < 1) throw new IllegalArgumentException("a VM class period must be at least 1 base period, got " + period);
  }

  public static VmClass mi(int k) {
    if (k < 2) throw new IllegalArgumentException("MI_" + k + " is not a class: MI_k needs k >= 2 (use SI for k = 1)");
    return new VmClass(k);
  }

  /** Parses "SI" or "MI_k" (k >= 2), case-insensitive. */
  public static VmClass parse(String text) {
    String s = text == null ? "" : text.trim().toUpperCase(java.util.Locale.ROOT);
    if (s.equals("SI")) return SI;
    if (s.startsWith("MI_") || s.startsWith("MI")) {
      String digits = s.substring(s.startsWith("MI_") ? 3 : 2);
      try {
        return mi(Integer.parseInt(digits));
      } catch (NumberFormatException e) {
        // fall through to the common message
      }
    }
    throw new IllegalArgumentException("unknown VM class '" + text + "': expected SI or MI_k with k >= 2");
  }

  public boolean isSingleInterval() {
    return period == 1;
  }

  /** Whether this class takes its basic checkpoint at base boundary {@code index}. */
  public boolean isDueAt(long index) {
    return index % period == 0;
  }

  @Override public String toString() {
    return period == 1 ? "SI" : "MI_" + period;
  }
}
