package org.vmqsc.protocol;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.List;
import org.junit.Test;
import org.vmqsc.protocol.manager.LineKeeper;

public class LineKeeperTest {
  private final GroupConfig config = new GroupConfig(1000, List.of(VmClass.SI, VmClass.mi(2)));

  private static BoundaryRecord record(int vm, long index, BoundaryKind kind) {
    return new BoundaryRecord(vm, index, 0, kind, false, 0, 0, new long[2], new long[2]);
  }

  private LineKeeper atLineZero() {
    LineKeeper k = new LineKeeper(config);
    for (int vm = 0; vm < 2; vm++) {
      k.record(record(vm, 0, BoundaryKind.CHECKPOINT));
      k.markStable(vm, 0, 0);
    }
    assertEquals(0, k.advance().orElseThrow().index());
    return k;
  }

  @Test public void reportsTwiceLateOrOutOfOrderChangeNothingTheyShouldNot() {
    LineKeeper k = atLineZero();
    k.markStable(1, 1, 0);                                // the stable mark comes before its report
    k.record(record(1, 1, BoundaryKind.LOG_SEGMENT));
    k.record(record(1, 1, BoundaryKind.LOG_SEGMENT));     // twice
    k.record(record(0, 1, BoundaryKind.CHECKPOINT));
    assertTrue(k.advance().isEmpty());
    k.markStable(0, 1, 0);
    k.markStable(0, 1, 0);
    assertEquals(1, k.advance().orElseThrow().index());
    k.record(record(0, 0, BoundaryKind.CHECKPOINT));      // late: behind the line
    k.markStable(1, 0, 0);
    assertEquals(1, k.line().index());
    assertEquals(List.of(1L, 0L), List.of(k.line().checkpointOf(0), k.line().checkpointOf(1)));
  }

  @Test public void lineNeedsTheMiVmsCheckpointAndEverySegmentStable() {
    LineKeeper k = atLineZero();
    k.record(record(0, 1, BoundaryKind.CHECKPOINT));
    k.markStable(0, 1, 0);
    k.record(record(1, 1, BoundaryKind.LOG_SEGMENT));     // staged only
    assertTrue(k.advance().isEmpty());
    k.record(record(0, 2, BoundaryKind.CHECKPOINT));
    k.markStable(0, 2, 0);
    k.record(record(1, 2, BoundaryKind.CHECKPOINT));
    k.markStable(1, 2, 0);
    assertEquals("jumps to 2: the MI VM's checkpoint 2 needs no segment", 2, k.advance().orElseThrow().index());
  }

  @Test public void aBoundaryNotYetReportedHoldsTheLineBack() {
    GroupConfig mi3 = new GroupConfig(1000, List.of(VmClass.SI, VmClass.mi(3)));
    LineKeeper k = new LineKeeper(mi3);
    for (long n = 0; n <= 4; n++) {
      k.record(record(0, n, BoundaryKind.CHECKPOINT));
      k.markStable(0, n, 0);
      if (n == 3) continue; // the MI_3 VM's checkpoint 3 is still on its way
      k.record(record(1, n, n % 3 == 0 ? BoundaryKind.CHECKPOINT : BoundaryKind.LOG_SEGMENT));
      k.markStable(1, n, 0);
    }
    assertEquals("index 4 would need checkpoint 3 of VM 1", 2, k.advance().orElseThrow().index());
    k.record(record(1, 3, BoundaryKind.CHECKPOINT));
    k.markStable(1, 3, 0);
    assertEquals(List.of(4L, 3L), List.of(k.advance().orElseThrow().index(), k.line().checkpointOf(1)));
  }

  @Test public void conflictingReportsAndUnknownVmsAreRejected() {
    LineKeeper k = atLineZero();
    k.record(record(0, 1, BoundaryKind.CHECKPOINT));
    assertThrows(IllegalArgumentException.class, () -> k.record(record(0, 1, BoundaryKind.LOG_SEGMENT)));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> k.markStable(7, 1, 0));
    assertTrue(e.getMessage().contains("unknown VM 7"));
  }

  @Test public void collectsWhatLiesBehindTheLine() {
    LineKeeper k = atLineZero();
    for (long n = 1; n <= 2; n++) {
      k.record(record(0, n, BoundaryKind.CHECKPOINT));
      k.markStable(0, n, 0);
      k.record(record(1, n, n == 2 ? BoundaryKind.CHECKPOINT : BoundaryKind.LOG_SEGMENT));
      k.markStable(1, n, 0);
    }
    k.advance();
    // Line 2 is (C(0,2), C(1,2)): behind it lie C(0,0), C(0,1), C(1,0) and VM1's segment at 1.
    assertEquals(List.of("C(0,0)", "C(0,1)", "C(1,0)"), k.collectible().checkpoints().stream().map(Object::toString).toList());
    assertEquals(List.of("L(1,1)"), k.collectible().segments().stream().map(Object::toString).toList());
    k.collect();
    assertTrue(k.collectible().isEmpty());
  }

  @Test public void checkpointsKeptBehindTheLineStayWithTheSegmentsAfterThem() {
    LineKeeper k = atLineZero();
    stableUpTo(k, 1, 4);
    k.advance();
    // Line 4 is (C(0,4), C(1,4)). Keeping one checkpoint per VM behind it: C(0,3); C(1,2) and VM1's segment at 3.
    assertEquals(List.of("C(0,0)", "C(0,1)", "C(0,2)", "C(1,0)"),
        k.collectible(1).checkpoints().stream().map(Object::toString).toList());
    assertEquals(List.of("L(1,1)"), k.collectible(1).segments().stream().map(Object::toString).toList());
    // Keeping more than there are keeps everything; keeping none is collectible().
    assertTrue(k.collectible(9).checkpoints().isEmpty());
    assertEquals(k.collectible().checkpoints(), k.collectible(0).checkpoints());
    k.collect(1);
    assertTrue(k.collectible(1).isEmpty());
    // The next line move collects what falls out of the kept window, and no more.
    stableUpTo(k, 5, 6);
    k.advance();
    assertEquals(List.of("C(0,3)", "C(0,4)", "C(1,2)"),
        k.collectible(1).checkpoints().stream().map(Object::toString).toList());
    assertEquals(List.of("L(1,3)"), k.collectible(1).segments().stream().map(Object::toString).toList());
  }

  /** Stable boundaries from..to: VM 0 checkpoints at each, VM 1 at the even ones and logs at the odd ones. */
  private static void stableUpTo(LineKeeper k, long from, long to) {
    for (long n = from; n <= to; n++) {
      k.record(record(0, n, BoundaryKind.CHECKPOINT));
      k.markStable(0, n, 0);
      k.record(record(1, n, n % 2 == 0 ? BoundaryKind.CHECKPOINT : BoundaryKind.LOG_SEGMENT));
      k.markStable(1, n, 0);
    }
  }

  @Test public void aRecoveryMayRollAVmBackToAStableBoundaryPastTheLine() {
    LineKeeper k = atLineZero();
    k.record(record(1, 1, BoundaryKind.LOG_SEGMENT));
    k.markStable(1, 1, 0);
    k.record(record(1, 2, BoundaryKind.CHECKPOINT));
    k.markStable(1, 2, 0);
    k.record(record(1, 3, BoundaryKind.LOG_SEGMENT));        // staged only
    assertEquals("VM 0 has nothing past the line: the line stays", 0, k.line().index());
    assertEquals(List.of(2L, 1L, 0L), k.stableIndexesFromLine(1));
    assertEquals(3, k.latestRecord(1).index());
    assertTrue(k.isStableAt(1, 1));

    k.rollback(1, 1, 2);
    assertEquals("what the discarded execution reported after 2 is forgotten", 2, k.latestRecord(1).index());
    assertEquals(List.of(2L, 1L, 0L), k.stableIndexesFromLine(1));
    assertThrows(IllegalArgumentException.class, () -> k.rollback(0, 1, -1));
  }
}
