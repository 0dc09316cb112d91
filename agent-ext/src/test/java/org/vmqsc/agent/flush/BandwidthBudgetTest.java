package org.vmqsc.agent.flush;

import static org.junit.Assert.assertEquals;

import org.junit.Test;

/** The budget on a virtual clock: time only passes when the budget waits. */
public class BandwidthBudgetTest {

  private long now;
  private long slept;

  private BandwidthBudget budget(long bytesPerSecond) {
    return new BandwidthBudget(bytesPerSecond, () -> now, nanos -> {
      now += nanos;
      slept += nanos;
    });
  }

  @Test public void aBurstOfOneSecondPassesAtOnceAndTheRestAtTheRate() throws InterruptedException {
    BandwidthBudget budget = budget(1000);
    for (int i = 0; i < 10; i++) {
      budget.acquire(100);  // the first second's worth: no waiting
    }
    assertEquals(0, slept);
    for (int i = 0; i < 30; i++) {
      budget.acquire(100);  // 3000 more bytes at 1000 bytes/s
    }
    assertEquals(3.0, slept / 1e9, 0.01);
  }

  @Test public void idleTimeRefillsTheBucketButNoMoreThanOneSecond() throws InterruptedException {
    BandwidthBudget budget = budget(1000);
    budget.acquire(1000);
    now += 60_000_000_000L;  // a quiet minute
    budget.acquire(1000);
    assertEquals(0, slept);
    budget.acquire(1000);
    assertEquals(1.0, slept / 1e9, 0.01);
  }

  @Test public void aChunkLargerThanTheBucketWaitsOffItsDebt() throws InterruptedException {
    BandwidthBudget budget = budget(1000);
    budget.acquire(5000);
    assertEquals(4.0, slept / 1e9, 0.01);
  }

  @Test public void zeroMeansUnlimited() throws InterruptedException {
    BandwidthBudget budget = budget(0);
    budget.acquire(Long.MAX_VALUE / 2);
    assertEquals(0, slept);
  }
}
