package org.vmqsc.agent.flush;

import static org.junit.Assert.assertEquals;
import static org.junit.Assume.assumeNotNull;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.Test;

/** Background threads run at a lower priority than the threads that start them, which keep theirs. */
public class BackgroundPriorityTest {

  @Test public void aBackgroundThreadRunsNicerAndItsStarterKeepsItsPriority() throws Exception {
    Integer before = BackgroundPriority.currentNice();
    assumeNotNull("nice values are read on Linux only", before);
    ExecutorService background = Executors.newSingleThreadExecutor(BackgroundPriority.threads("test-background"));
    try {
      int inside = background.submit(BackgroundPriority::currentNice).get(10, TimeUnit.SECONDS);
      assertEquals(Math.min(19, Math.max(before, BackgroundPriority.NICE)), inside);
      // A thread it starts inherits the lower priority.
      int child = background.submit(() -> CompletableFuture.supplyAsync(BackgroundPriority::currentNice,
          r -> new Thread(r).start()).get(10, TimeUnit.SECONDS)).get(10, TimeUnit.SECONDS);
      assertEquals(inside, child);
    } finally {
      background.shutdownNow();
    }
    assertEquals("the caller's own thread is untouched", before, BackgroundPriority.currentNice());
  }
}
