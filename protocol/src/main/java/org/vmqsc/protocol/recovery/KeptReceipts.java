package org.vmqsc.protocol.recovery;

import java.util.Arrays;

/**
 * Which receipts a VM's earlier incarnations made that its current execution still holds.
 *
 * <p>A recovery restores a VM to a state that has received R messages and starts a new incarnation there: the
 * ended incarnation's receipts 1..R stay part of the execution (the restored state holds them, in that order), its
 * later ones do not. A receipt numbered rsn by incarnation j is therefore one of the current execution's when
 * every restore since j kept at least rsn receipts. Hosts report receipts with the incarnation that made them, so
 * a receipt carried off before a recovery that rebuilt its VM past it (causal logging) still names the VM's state.
 *
 * <p>Held as one counter per ended incarnation (index j: how many of incarnation j's receipts are kept), so the
 * catalog stores it like the other per-VM counters.
 */
public final class KeptReceipts {

  /** A VM never rolled back: no earlier incarnation. */
  public static final KeptReceipts NONE = new KeptReceipts(new long[0]);

  private final long[] keptByIncarnation;

  private KeptReceipts(long[] keptByIncarnation) {
    this.keptByIncarnation = keptByIncarnation;
  }

  /** From stored counters (null: none). */
  public static KeptReceipts of(long[] keptByIncarnation) {
    return keptByIncarnation == null ? NONE : new KeptReceipts(keptByIncarnation.clone());
  }

  /**
   * After incarnation {@code ended} was restored to a state that has received {@code receivedAtRestore} messages:
   * its receipts up to there are kept, and no earlier incarnation's beyond there.
   */
  public KeptReceipts afterRestore(int ended, long receivedAtRestore) {
    if (ended < 0) throw new IllegalArgumentException("incarnation " + ended);
    // Incarnations with no counter yet (a catalog written before these were kept) keep none.
    long[] out = Arrays.copyOf(keptByIncarnation, Math.max(keptByIncarnation.length, ended + 1));
    for (int j = 0; j < ended; j++) out[j] = Math.min(out[j], receivedAtRestore);
    out[ended] = receivedAtRestore;
    return new KeptReceipts(out);
  }

  /** Whether receipt {@code rsn} made by incarnation {@code madeBy} is one of the execution of {@code current}. */
  public boolean keeps(int current, int madeBy, long rsn) {
    if (madeBy == current) return true;
    return madeBy >= 0 && madeBy < current && madeBy < keptByIncarnation.length && rsn <= keptByIncarnation[madeBy];
  }

  /** The counters to store. */
  public long[] toArray() {
    return keptByIncarnation.clone();
  }

  @Override public String toString() {
    return "KeptReceipts" + Arrays.toString(keptByIncarnation);
  }
}
