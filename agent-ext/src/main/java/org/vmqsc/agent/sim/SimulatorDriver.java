package org.vmqsc.agent.sim;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.vmqsc.agent.driver.Capture;
import org.vmqsc.agent.driver.CaptureMode;
import org.vmqsc.agent.driver.DiskSnapshot;
import org.vmqsc.agent.driver.HypervisorDriver;
import org.vmqsc.agent.driver.ImageConsumer;

/** Guests in this process, for fast tests: checkpoint copies memory during a brief pause, restore writes it back. */
public final class SimulatorDriver implements HypervisorDriver {

  private final Map<String, SimulatedGuest> guests = new ConcurrentHashMap<>();
  /** Guests paused by {@link #pause} and when: a simulated guest's pause is only a mark, its memory is copied later. */
  private final Map<String, Long> paused = new ConcurrentHashMap<>();

  /** Starts a guest with {@code pages} pages of memory, of which {@code usedFraction} hold data. */
  public SimulatedGuest start(String vmId, int pages, double usedFraction, long seed) {
    SimulatedGuest guest = new SimulatedGuest(vmId, pages, usedFraction, seed);
    SimulatedGuest old = guests.put(vmId, guest);
    if (old != null) {
      old.close();
    }
    return guest;
  }

  /** The guest is gone from this host (its memory with it). */
  public void stop(String vmId) {
    paused.remove(vmId);
    SimulatedGuest old = guests.remove(vmId);
    if (old != null) old.close();
  }

  public SimulatedGuest guest(String vmId) throws IOException {
    SimulatedGuest guest = guests.get(vmId);
    if (guest == null) {
      throw new IOException("no simulated VM named " + vmId);
    }
    return guest;
  }

  @Override public String name() {
    return "simulator";
  }

  @Override public Capture checkpoint(String vmId, ImageConsumer consumer) throws IOException {
    SimulatedGuest guest = guest(vmId);
    long pauseStart = System.nanoTime();
    byte[] image = guest.copyMemory();  // the guest's lock is its pause
    Capture capture = new Capture(CaptureMode.SIMULATED_COPY, Duration.ofNanos(System.nanoTime() - pauseStart), null);
    consumer.accept(new ByteArrayInputStream(image), capture);
    return capture;
  }

  @Override public void pause(String vmId) throws IOException {
    guest(vmId);
    if (paused.putIfAbsent(vmId, System.nanoTime()) != null) {
      throw new IOException(vmId + " is already paused for a checkpoint");
    }
  }

  @Override public void resume(String vmId) throws IOException {
    guest(vmId);
    paused.remove(vmId);
  }

  /** Whether {@link #pause} stopped the guest and nothing has run it again. */
  public boolean paused(String vmId) {
    return paused.containsKey(vmId);
  }

  @Override public Capture checkpointPaused(String vmId, Runnable running, ImageConsumer consumer)
      throws IOException {
    Long pausedAt = paused.get(vmId);
    if (pausedAt == null) throw new IOException(vmId + " was not paused for this checkpoint");
    byte[] image;
    try {
      image = guest(vmId).copyMemory();
    } finally {
      paused.remove(vmId);
      running.run();
    }
    Capture capture = new Capture(CaptureMode.SIMULATED_COPY, Duration.ofNanos(System.nanoTime() - pausedAt), null);
    consumer.accept(new ByteArrayInputStream(image), capture);
    return capture;
  }

  /** Writes a guest's memory image, each part verified before it is written. */
  public interface MemoryImage {
    void writeTo(OutputStream memory) throws IOException;
  }

  /**
   * Restores a guest of {@code pages} pages: a new guest's memory is filled from {@code image} straight from the
   * store (no copy of the whole image on the way), and only once that succeeded does it replace the guest running
   * under this name, if any. A failed fill leaves the running guest as it was.
   */
  public SimulatedGuest restore(String vmId, int pages, MemoryImage image) throws IOException {
    SimulatedGuest guest = new SimulatedGuest(vmId, pages, 0, 0);
    try {
      image.writeTo(guest.memoryWriter());
    } catch (IOException | RuntimeException e) {
      guest.close();
      throw e;
    }
    SimulatedGuest old = guests.put(vmId, guest);
    if (old != null) old.close();
    return guest;
  }

  @Override public void restore(String vmId, Path verifiedImage) throws IOException {
    guest(vmId).replaceMemory(Files.readAllBytes(verifiedImage));
    paused.remove(vmId); // the restored guest runs, whatever paused the one it replaced
  }

  @Override public void restore(String vmId, Path verifiedImage, List<DiskSnapshot> disks,
                                boolean paused) throws IOException {
    restore(vmId, verifiedImage, disks);
    if (paused) pause(vmId);
  }

  @Override public double dirtyRateMiBPerSecond(String vmId, Duration sample) throws IOException {
    SimulatedGuest guest = guest(vmId);
    long before = guest.pagesWritten();
    try {
      Thread.sleep(sample.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while sampling the dirty rate of " + vmId, e);
    }
    double pages = guest.pagesWritten() - before;
    return pages * SimulatedGuest.PAGE_BYTES / (1 << 20) / (sample.toMillis() / 1000.0);
  }

  @Override public void close() {
    guests.values().forEach(SimulatedGuest::close);
    guests.clear();
  }
}
