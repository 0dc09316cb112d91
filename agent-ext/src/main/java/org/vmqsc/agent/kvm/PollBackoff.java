package org.vmqsc.agent.kvm;

import java.util.concurrent.locks.LockSupport;

/**
 * The wait between two questions to QEMU about a job that runs with the guest running (a background snapshot, the
 * disks' copies): 1 ms at first, doubling up to 16 ms. Each question is a QMP round trip that takes QEMU's main lock,
 * which the guest's devices and the job itself need as well; asked every 2 ms for the whole job, they made QEMU's
 * monitor thread the third busiest of the process (11 % of its CPU samples in a {@code bench kvm --cut-only} run,
 * against 15 % for the snapshot's own thread). A job that ends is seen at most 16 ms late.
 */
final class PollBackoff {

  private static final long FIRST_NANOS = 1_000_000;
  private static final long LONGEST_NANOS = 16_000_000;

  private long nanos = FIRST_NANOS;

  void await() {
    LockSupport.parkNanos(nanos);
    nanos = Math.min(LONGEST_NANOS, 2 * nanos);
  }
}
