package org.vmqsc.protocol;

import static org.junit.Assert.assertEquals;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.Test;
import org.vmqsc.protocol.manager.LineKeeper;
import org.vmqsc.protocol.recovery.HostSnapshot;
import org.vmqsc.protocol.recovery.RecoveryPlan;
import org.vmqsc.protocol.recovery.RecoveryPlanner;
import org.vmqsc.protocol.recovery.SnapshotSurvivors;
import org.vmqsc.protocol.recovery.VmRestore;

/** A host failure recovers to the latest recoverable consistent state, not to the stored line. */
public class RecoveryPlannerTest {
  private final GroupConfig config = new GroupConfig(1000, List.of(VmClass.SI, VmClass.SI, VmClass.SI));
  private final LineKeeper keeper = new LineKeeper(config);

  /** VM vm's checkpoint at index, with its per-peer sent and received counters; stable unless said otherwise. */
  private void checkpoint(int vm, long index, long[] sent, long[] received, boolean stable) {
    long total = 0;
    for (long r : received) total += r;
    keeper.record(new BoundaryRecord(vm, index, 0, BoundaryKind.CHECKPOINT, false, index * 10, total, sent, received));
    if (stable) keeper.markStable(vm, index, 0);
  }

  private static long[] c(long... counts) {
    return counts;
  }

  /** Line 0 for all; at 1 VM 2's checkpoint is only staged, so the line stays at 0. */
  private void lineAtZeroAndStatesAtOne(long[] sent0at1, long[] received1at1) {
    for (int vm = 0; vm < 3; vm++) checkpoint(vm, 0, c(0, 0, 0), c(0, 0, 0), true);
    assertEquals(0, keeper.advance().orElseThrow().index());
    checkpoint(0, 1, sent0at1, c(0, 0, 0), true);
    checkpoint(1, 1, c(0, 0, 0), received1at1, true);
    checkpoint(2, 1, c(0, 0, 0), c(0, 0, 0), false);
    assertEquals("the line waits for VM 2", 0, keeper.line().index());
  }

  private static SnapshotSurvivors survivors(Set<Integer> failed, Map<Integer, long[]> receivedFrom) {
    Map<Integer, List<LogEntry>> logs = new HashMap<>();
    for (int vm : receivedFrom.keySet()) logs.put(vm, List.of());
    HostSnapshot h = new HostSnapshot("h2", List.copyOf(receivedFrom.keySet()), receivedFrom, logs, Map.of());
    return new SnapshotSurvivors(List.of(h), failed);
  }

  private static Map<Integer, Long> recoveredAt(RecoveryPlan plan) {
    Map<Integer, Long> out = new TreeMap<>();
    for (VmRestore r : plan.restores()) out.put(r.vm(), r.lineState().index());
    return out;
  }

  private static LogEntry late(int from, int to, long seq, long rsn) {
    return new LogEntry(new Message(from, to, seq, 0, 0, 8, 100 * from + seq), rsn, rsn * 10, 1, 0);
  }

  @Test public void aFailedVmRecoversToItsLatestStableStateAndUntouchedSurvivorsRunOn() {
    // VM 0 only receives: its latest stable state, at 2, is consistent with everyone as they run.
    lineAtZeroAndStatesAtOne(c(0, 0, 0), c(0, 0, 0));
    checkpoint(0, 2, c(0, 0, 0), c(0, 1, 0), true);
    RecoveryPlan plan = RecoveryPlanner.planHostFailure(config, keeper, Set.of(0),
        survivors(Set.of(0), Map.of(1, c(0, 0, 0), 2, c(0, 0, 0))), Map.of());
    assertEquals(0, plan.lineIndex());
    assertEquals(Map.of(0, 2L), recoveredAt(plan));
  }

  @Test public void aSurvivorHoldingAnOrphanReceiptMovesBackOnlyToItsLatestStateWithout() {
    lineAtZeroAndStatesAtOne(c(0, 1, 0), c(1, 0, 0));
    checkpoint(0, 2, c(0, 2, 0), c(0, 0, 0), true);
    checkpoint(1, 2, c(0, 0, 0), c(2, 0, 0), true);
    // VM 0's messages #1 and #2 are on stable storage; VM 1 received #3, sent after VM 0's latest stable state:
    // an orphan unless VM 1 moves back, to its state at 2 and no further.
    RecoveryPlan plan = RecoveryPlanner.planHostFailure(config, keeper, Set.of(0),
        survivors(Set.of(0), Map.of(1, c(3, 0, 0), 2, c(0, 0, 0))), Map.of(1, List.of(late(0, 1, 1, 1), late(0, 1, 2, 2))));
    assertEquals(Map.of(0, 2L, 1, 2L), recoveredAt(plan));
    assertEquals(Set.of(0, 1), plan.rolledBack());
  }

  @Test public void aFailedSenderMovesBackBeforeWhatOnlyAVolatileLogHeld() {
    lineAtZeroAndStatesAtOne(c(0, 1, 0), c(1, 0, 0));
    // VM 0 sent #1 before boundary 1 (VM 1 got it before 1) and #2 before 2 (VM 1 got it after passing 2, late).
    checkpoint(0, 2, c(0, 2, 0), c(0, 0, 0), true);
    checkpoint(1, 2, c(0, 0, 0), c(1, 0, 0), true);
    SnapshotSurvivors vm2Only = survivors(Set.of(0, 1), Map.of(2, c(0, 0, 0)));

    RecoveryPlan nothingStable = RecoveryPlanner.planHostFailure(config, keeper, Set.of(0, 1), vm2Only, Map.of());
    assertEquals("both back to the line", Map.of(0, 0L, 1, 0L), recoveredAt(nothingStable));

    // Only the late #2 is on stable storage: #1 died with the host, so VM 0 cannot keep having sent it.
    RecoveryPlan lateOnly = RecoveryPlanner.planHostFailure(config, keeper, Set.of(0, 1), vm2Only,
        Map.of(1, List.of(late(0, 1, 2, 2))));
    assertEquals(Map.of(0, 0L, 1, 0L), recoveredAt(lateOnly));

    // Both on stable storage: both keep their latest states, and #2 is replayed into VM 1.
    RecoveryPlan bothStable = RecoveryPlanner.planHostFailure(config, keeper, Set.of(0, 1), vm2Only,
        Map.of(1, List.of(late(0, 1, 1, 1), late(0, 1, 2, 2))));
    assertEquals(Map.of(0, 2L, 1, 2L), recoveredAt(bothStable));
    VmRestore vm1 = bothStable.restores().stream().filter(r -> r.vm() == 1).findFirst().orElseThrow();
    assertEquals(List.of(2L), vm1.replays().stream().map(r -> r.message().seq()).toList());
  }

  @Test public void aRunningSenderMovesBackWhenAFailedReceiverHadGotWhatNoLogHolds() {
    lineAtZeroAndStatesAtOne(c(0, 0, 0), c(0, 0, 0));
    // VM 1 sent VM 0 #1 before boundary 2 and #2 after; VM 0's report at 3 (staged) shows it had both.
    checkpoint(1, 2, c(1, 0, 0), c(0, 0, 0), true);
    checkpoint(0, 2, c(0, 0, 0), c(0, 1, 0), true);
    checkpoint(0, 3, c(0, 0, 0), c(0, 2, 0), false);
    // No surviving log holds #2 (VM 1's host kept no copy): VM 1 goes back to before it sent it.
    RecoveryPlan plan = RecoveryPlanner.planHostFailure(config, keeper, Set.of(0),
        survivors(Set.of(0), Map.of(1, c(0, 0, 0), 2, c(0, 0, 0))), Map.of());
    assertEquals(Map.of(0, 2L, 1, 2L), recoveredAt(plan));
  }

  @Test public void neverBehindTheLineAndAtItWhenNothingLaterIsStable() {
    lineAtZeroAndStatesAtOne(c(0, 1, 0), c(1, 0, 0));
    // VM 2's only state after the line is staged: failed, it goes back to the line.
    RecoveryPlan plan = RecoveryPlanner.planHostFailure(config, keeper, Set.of(2),
        survivors(Set.of(2), Map.of(0, c(0, 0, 0), 1, c(1, 0, 0))), Map.of());
    assertEquals(Map.of(2, 0L), recoveredAt(plan));
  }
}
