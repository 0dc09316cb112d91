package org.vmqsc.agent.driver;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * What the agent needs from a hypervisor. Shaped so that a driver which produces a memory image as a file (KVM
 * through libvirt), as a stream (Xen's XAPI {@code VM.checkpoint}, exporting the suspend image) or in memory (the
 * simulator) all fit: the image is handed to a consumer, and the driver cleans up after it returns.
 */
public interface HypervisorDriver extends AutoCloseable {

  String name();

  /**
   * Takes a live checkpoint of a running VM: the guest keeps running except for a short pause, reported in the
   * capture. The image is passed to {@code consumer} before this returns.
   */
  Capture checkpoint(String vmId, ImageConsumer consumer) throws IOException;

  /**
   * Brings a VM back, running, from a memory image that has already been verified; a running instance of the VM
   * is replaced.
   */
  void restore(String vmId, Path verifiedImage) throws IOException;

  /** How fast the guest writes its memory, in MiB per second, sampled over about {@code sample}. */
  double dirtyRateMiBPerSecond(String vmId, Duration sample) throws IOException;

  @Override void close();
}
