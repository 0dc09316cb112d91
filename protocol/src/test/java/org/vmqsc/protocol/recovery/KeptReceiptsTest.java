package org.vmqsc.protocol.recovery;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

public class KeptReceiptsTest {

  @Test public void aVmNeverRolledBackKeepsOnlyItsCurrentIncarnationsReceipts() {
    assertTrue(KeptReceipts.NONE.keeps(0, 0, 1_000));
    assertFalse(KeptReceipts.NONE.keeps(1, 0, 1));
    assertFalse("an incarnation no recovery gave it", KeptReceipts.NONE.keeps(0, 1, 1));
  }

  @Test public void aRestoreKeepsTheEndedIncarnationsReceiptsUpToTheRestoredState() {
    // Incarnation 0 restored to a state that had received 17 messages (16 on stable storage, 1 taken again).
    KeptReceipts kept = KeptReceipts.NONE.afterRestore(0, 17);
    assertTrue(kept.keeps(1, 0, 17));
    assertFalse(kept.keeps(1, 0, 18));
    assertTrue(kept.keeps(1, 1, 18));
  }

  @Test public void aLaterRestoreToAnEarlierStateDropsWhatEveryIncarnationMadeAfterIt() {
    KeptReceipts kept = KeptReceipts.NONE.afterRestore(0, 17).afterRestore(1, 16);
    assertFalse("incarnation 2 started from 16 receipts: 0's 17th may not be its 17th", kept.keeps(2, 0, 17));
    assertTrue(kept.keeps(2, 0, 16));
    assertFalse(kept.keeps(2, 1, 17));
    assertTrue(kept.keeps(2, 1, 16));
    assertArrayEquals(new long[] {16, 16}, kept.toArray());
  }

  @Test public void aLaterRestoreFurtherOnKeepsTheEarlierLimit() {
    KeptReceipts kept = KeptReceipts.NONE.afterRestore(0, 10).afterRestore(1, 30);
    assertTrue(kept.keeps(2, 0, 10));
    assertFalse("incarnation 0's receipts past 10 ended with it", kept.keeps(2, 0, 11));
    assertTrue(kept.keeps(2, 1, 30));
    assertFalse(kept.keeps(2, 1, 31));
  }

  @Test public void countersStoredBeforeTheyWereKeptTrustNoEarlierIncarnation() {
    KeptReceipts kept = KeptReceipts.of(null).afterRestore(3, 12);
    assertFalse(kept.keeps(4, 2, 1));
    assertTrue(kept.keeps(4, 3, 12));
    assertArrayEquals(new long[] {0, 0, 0, 12}, kept.toArray());
    assertTrue(KeptReceipts.of(kept.toArray()).keeps(4, 3, 12));
    assertThrows(IllegalArgumentException.class, () -> kept.afterRestore(-1, 0));
  }
}
