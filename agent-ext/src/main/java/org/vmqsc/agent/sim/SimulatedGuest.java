package org.vmqsc.agent.sim;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A guest whose memory is a byte array. A writer thread rewrites random pages at a set rate, like a workload;
 * tests can also rewrite pages directly. All access to memory goes through this object's lock.
 */
public final class SimulatedGuest implements AutoCloseable {

  public static final int PAGE_BYTES = 4096;

  private final String vmId;
  private final byte[] memory;
  private final Random random;
  private final AtomicLong pagesWritten = new AtomicLong();
  private volatile int pagesPerSecond;
  private volatile boolean running = true;
  private final Thread writer;

  SimulatedGuest(String vmId, int pages, double usedFraction, long seed) {
    this.vmId = vmId;
    this.memory = new byte[pages * PAGE_BYTES];
    this.random = new Random(seed);
    byte[] page = new byte[PAGE_BYTES];
    for (int i = 0; i < pages * usedFraction; i++) {  // the rest stays zero, like never-touched guest memory
      random.nextBytes(page);
      System.arraycopy(page, 0, memory, i * PAGE_BYTES, PAGE_BYTES);
    }
    this.writer = new Thread(this::writeLoop, "sim-guest-" + vmId);
    this.writer.setDaemon(true);
    this.writer.start();
  }

  public String vmId() {
    return vmId;
  }

  public int pages() {
    return memory.length / PAGE_BYTES;
  }

  /** How many pages per second the background workload rewrites (0 = idle). */
  public void setWriteRate(int pagesPerSecond) {
    this.pagesPerSecond = pagesPerSecond;
  }

  public long pagesWritten() {
    return pagesWritten.get();
  }

  /** Rewrites {@code count} pages spread evenly over the used memory, starting at {@code firstPage}. */
  public synchronized void rewrite(int firstPage, int count) {
    byte[] page = new byte[PAGE_BYTES];
    for (int i = 0; i < count; i++) {
      random.nextBytes(page);
      System.arraycopy(page, 0, memory, ((firstPage + i) % pages()) * PAGE_BYTES, PAGE_BYTES);
    }
    pagesWritten.addAndGet(count);
  }

  synchronized byte[] copyMemory() {
    return memory.clone();
  }

  public synchronized byte[] memoryForTest() {
    return memory.clone();
  }

  /**
   * Writes memory in order from its first byte: for filling a guest that does not run yet (a restore). More bytes
   * than the memory holds is an error.
   */
  OutputStream memoryWriter() {
    return new OutputStream() {
      private int at;

      @Override public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override public void write(byte[] b, int off, int len) throws IOException {
        synchronized (SimulatedGuest.this) {
          if (len > memory.length - at) {
            throw new IOException("image larger than the " + memory.length + " bytes of memory of guest " + vmId);
          }
          System.arraycopy(b, off, memory, at, len);
          at += len;
        }
      }
    };
  }

  synchronized void replaceMemory(byte[] image) {
    if (image.length != memory.length) {
      throw new IllegalArgumentException("image of " + image.length + " bytes does not fit guest " + vmId + " with "
          + memory.length + " bytes of memory");
    }
    System.arraycopy(image, 0, memory, 0, memory.length);
  }

  private void writeLoop() {
    while (running) {
      int rate = pagesPerSecond;
      try {
        if (rate <= 0) {
          Thread.sleep(20);
          continue;
        }
        int batch = Math.max(1, rate / 50);
        rewrite(random.nextInt(pages()), batch);
        Thread.sleep(Math.max(1, 1000L * batch / rate));
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  @Override public void close() {
    running = false;
    writer.interrupt();
  }
}
