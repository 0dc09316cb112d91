package org.vmqsc.protocol;

/**
 * How often a VM checkpoints, in base periods: SI checkpoints at every base boundary, MI_k at every k-th one, the
 * boundaries n with n mod k == φ, its phase (0 unless given, written {@code MI_k@φ}). Communication-heavy VMs are
 * SI; lightly communicating VMs are MI_k. A phase lets an MI VM checkpoint right after the base period in which it
 * receives most, whose receive log the checkpoint then spares. (Every VM checkpoints at boundary 0, when it
 * joins, whatever its phase.)
 */
public record VmClass(int period, int phase) {

  public static final VmClass SI = new VmClass(1);

  public VmClass {
    if (period < 1) throw new IllegalArgumentException("a VM class period must be at least 1 base period, got " + period);
    if (phase < 0 || phase >= period) {
      throw new IllegalArgumentException("a VM class phase must be in 0.." + (period - 1) + ", got " + phase);
    }
  }

  public VmClass(int period) {
    this(period, 0);
  }

  public static VmClass mi(int k) {
    return mi(k, 0);
  }

  /** MI_k checkpointing at the boundaries n with n mod k == {@code phase}. */
  public static VmClass mi(int k, int phase) {
    if (k < 2) throw new IllegalArgumentException("MI_" + k + " is not a class: MI_k needs k >= 2 (use SI for k = 1)");
    return new VmClass(k, phase);
  }

  /** What a VM class may be, in words, for refusals. */
  public static final String SYNTAX = "SI, MI_k with k >= 2, or MI_k@phase with 0 <= phase < k"
      + " (MI_k@phase checkpoints at the base boundaries n with n mod k = phase; MI_k is MI_k@0)";

  /** Parses "SI", "MI_k" or "MI_k@φ" (k >= 2, 0 <= φ < k), case-insensitive. */
  public static VmClass parse(String text) {
    String s = text == null ? "" : text.trim().toUpperCase(java.util.Locale.ROOT);
    if (s.equals("SI")) return SI;
    if (s.startsWith("SI@")) {
      throw new IllegalArgumentException("unknown VM class '" + text + "': SI has no phase, it checkpoints at every"
          + " base boundary; expected " + SYNTAX);
    }
    if (s.startsWith("MI_") || s.startsWith("MI")) {
      String rest = s.substring(s.startsWith("MI_") ? 3 : 2);
      int at = rest.indexOf('@');
      int k;
      try {
        k = Integer.parseInt(at < 0 ? rest : rest.substring(0, at));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("unknown VM class '" + text + "': expected " + SYNTAX);
      }
      if (k < 2) {
        throw new IllegalArgumentException("MI_" + k + " is not a class: MI_k needs k >= 2 (use SI for k = 1)");
      }
      int phase;
      try {
        phase = at < 0 ? 0 : Integer.parseInt(rest.substring(at + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("unknown VM class '" + text + "': the phase of MI_" + k
            + " must be a whole number in 0.." + (k - 1) + " (checkpoints at the base boundaries n with n mod " + k
            + " = phase)");
      }
      if (phase < 0 || phase >= k) {
        throw new IllegalArgumentException("unknown VM class '" + text + "': the phase of MI_" + k
            + " must be in 0.." + (k - 1) + " (checkpoints at the base boundaries n with n mod " + k
            + " = phase), got " + phase);
      }
      return mi(k, phase);
    }
    throw new IllegalArgumentException("unknown VM class '" + text + "': expected " + SYNTAX);
  }

  public boolean isSingleInterval() {
    return period == 1;
  }

  /** Whether this class takes its basic checkpoint at base boundary {@code index}. */
  public boolean isDueAt(long index) {
    return index % period == phase;
  }

  @Override public String toString() {
    return period == 1 ? "SI" : "MI_" + period + (phase == 0 ? "" : "@" + phase);
  }
}
