package org.vmqsc.agent.engine;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs an {@link ImageCutter} on a thread of its own, a few blocks ahead of the caller, who stores the chunks of each
 * block as it comes: reading, cutting and fingerprinting the image (most of a checkpoint's work per byte) then
 * overlaps storing it. The blocks reach the caller in image order, so the checkpoint is the one a single thread
 * would have made.
 *
 * <p>The cutter reads the caller's stream, so {@link #run} returns only once the cutter has stopped, whether the
 * image ended, the cutter failed (its exception is thrown here) or the caller's storing did.
 */
final class CuttingAhead {

  /** Blocks cut and waiting to be stored, at most: with the one being cut and the one being stored, 16 MiB. */
  private static final int DEPTH = 2;
  private static final Object END = new Object();
  private static final ExecutorService CUTTERS = Executors.newCachedThreadPool(task -> {
    Thread thread = new Thread(task, "vmqsc-cutter");
    thread.setDaemon(true);
    return thread;
  });

  /** What the caller does with each block's chunks (and then with the block). */
  interface BlockStore {
    void store(CutBlock cuts) throws IOException;
  }

  private record Failure(Throwable cause) {}

  private CuttingAhead() {}

  static void run(ImageCutter cutter, BlockStore storer) throws IOException {
    BlockingQueue<Object> ready = new ArrayBlockingQueue<>(DEPTH);
    AtomicBoolean stop = new AtomicBoolean();
    CountDownLatch stopped = new CountDownLatch(1);
    CUTTERS.execute(() -> {
      try {
        CutBlock cuts;
        while (!stop.get() && (cuts = cutter.next()) != null) {
          handOn(ready, cuts, stop);
        }
        handOn(ready, END, stop);
      } catch (Throwable t) {
        handOn(ready, new Failure(t), stop);
      } finally {
        stopped.countDown();
      }
    });
    try {
      while (true) {
        Object next = ready.take();
        if (next == END) {
          return;
        }
        if (next instanceof Failure failure) {
          throw rethrown(failure.cause());
        }
        storer.store((CutBlock) next);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while storing a checkpoint");
    } finally {
      stop.set(true);
      ready.clear();  // a cutter waiting to hand on a block sees the stop within its next wait
      awaitUninterruptibly(stopped);
    }
  }

  /** Puts {@code item} in the queue unless the caller has stopped taking: then it is dropped. */
  private static void handOn(BlockingQueue<Object> ready, Object item, AtomicBoolean stop) {
    try {
      while (!stop.get() && !ready.offer(item, 10, TimeUnit.MILLISECONDS)) {
        // the caller is still storing the blocks before this one
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();  // a pool thread: interrupted only when the JVM stops
    }
  }

  private static IOException rethrown(Throwable cause) {
    if (cause instanceof IOException io) {
      return io;
    }
    if (cause instanceof RuntimeException runtime) {
      throw runtime;
    }
    if (cause instanceof Error error) {
      throw error;
    }
    return new IOException(cause);
  }

  private static void awaitUninterruptibly(CountDownLatch latch) {
    boolean interrupted = false;
    while (true) {
      try {
        latch.await();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
