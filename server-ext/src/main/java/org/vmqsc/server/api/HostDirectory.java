package org.vmqsc.server.api;

import java.time.Instant;
import java.util.List;

/** The hosts (agents) the manager knows, for listHosts; the failure detector's leases back it. */
@FunctionalInterface
public interface HostDirectory {

  /** Whether a host's lease runs, ran out (not declared failed yet), or was declared failed and fenced. */
  enum LeaseState { ACTIVE, EXPIRED, FAILED }

  /** @param leaseEnd when the current lease ends (or ended), null when unknown */
  record Host(String uuid, String name, LeaseState leaseState, long epoch, Instant leaseEnd) {}

  /** Every known host, in a stable order. */
  List<Host> hosts();

  /**
   * How long a lease lasts after the heartbeat that renewed it, or null when unknown: a host was last heard
   * {@code leaseEnd - lease} (what a recovery's detection time is counted from).
   */
  default java.time.Duration lease() {
    return null;
  }
}
