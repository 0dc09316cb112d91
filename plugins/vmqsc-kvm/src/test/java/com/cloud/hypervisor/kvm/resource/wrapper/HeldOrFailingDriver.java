package com.cloud.hypervisor.kvm.resource.wrapper;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.vmqsc.agent.driver.Capture;
import org.vmqsc.agent.driver.HypervisorDriver;
import org.vmqsc.agent.driver.ImageConsumer;
import org.vmqsc.agent.sim.SimulatorDriver;

/**
 * The simulator driver with faults on demand: a VM's next checkpoint held in the middle of its capture until the
 * test releases it, or a VM's checkpoints failing. It also notices two operations on one guest at once.
 */
final class HeldOrFailingDriver implements HypervisorDriver {

  /** A capture held: {@link #entered} once it is under way, it goes on at {@link #release}. */
  static final class Hold {
    final CountDownLatch entered = new CountDownLatch(1);
    private final CountDownLatch released = new CountDownLatch(1);

    void release() {
      released.countDown();
    }

    /** Waits (a bounded while) for the capture to be under way. */
    void awaitEntered() throws InterruptedException {
      if (!entered.await(30, TimeUnit.SECONDS)) throw new AssertionError("the held checkpoint never started");
    }
  }

  private final SimulatorDriver simulator;
  private final Map<String, Hold> holds = new ConcurrentHashMap<>();
  private final Map<String, String> failures = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> busy = new ConcurrentHashMap<>();
  private final AtomicBoolean overlapped = new AtomicBoolean();

  HeldOrFailingDriver(SimulatorDriver simulator) {
    this.simulator = simulator;
  }

  /** The next checkpoint of {@code vmId} stops in its capture until the hold is released. */
  Hold holdNextCheckpoint(String vmId) {
    Hold h = new Hold();
    holds.put(vmId, h);
    return h;
  }

  /** Checkpoints of {@code vmId} fail with {@code why} (null: they succeed again). */
  void failCheckpoints(String vmId, String why) {
    if (why == null) failures.remove(vmId);
    else failures.put(vmId, why);
  }

  /** Whether two operations (checkpoints, restores) ever ran on one guest at once. */
  boolean overlapped() {
    return overlapped.get();
  }

  @Override public String name() {
    return "held-or-failing simulator";
  }

  @Override public Capture checkpoint(String vmId, ImageConsumer consumer) throws IOException {
    enter(vmId);
    try {
      Hold hold = holds.remove(vmId);
      if (hold != null) {
        hold.entered.countDown();
        if (!hold.released.await(30, TimeUnit.SECONDS)) throw new IOException("the test never released " + vmId);
      }
      String why = failures.get(vmId);
      if (why != null) throw new IOException(why);
      return simulator.checkpoint(vmId, consumer);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while held", e);
    } finally {
      leave(vmId);
    }
  }

  @Override public void restore(String vmId, Path verifiedImage) throws IOException {
    enter(vmId);
    try {
      simulator.restore(vmId, verifiedImage);
    } finally {
      leave(vmId);
    }
  }

  @Override public double dirtyRateMiBPerSecond(String vmId, Duration sample) throws IOException {
    return simulator.dirtyRateMiBPerSecond(vmId, sample);
  }

  @Override public void close() {
    simulator.close();
  }

  private void enter(String vmId) {
    if (busy.computeIfAbsent(vmId, k -> new AtomicInteger()).incrementAndGet() > 1) overlapped.set(true);
  }

  private void leave(String vmId) {
    busy.get(vmId).decrementAndGet();
  }
}
