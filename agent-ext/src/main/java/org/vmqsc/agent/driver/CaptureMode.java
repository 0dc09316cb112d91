package org.vmqsc.agent.driver;

/** How a live checkpoint's memory image was taken. */
public enum CaptureMode {
  /** QEMU's background-snapshot: copy-on-write via userfaultfd; the image is the state at the start. */
  BACKGROUND_SNAPSHOT,
  /** The classic live snapshot: iterative pre-copy, then a pause to send the rest; the state at the end. */
  PRE_COPY,
  /**
   * Xen's XAPI {@code VM.checkpoint}: the guest is suspended into a VDI while its disks are snapshotted, then
   * resumed; it does not run in between. The image is the state at the start.
   */
  XAPI_CHECKPOINT,
  /** The simulator: memory copied during a short pause. */
  SIMULATED_COPY
}
