package org.vmqsc.server.runtime;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.vmqsc.server.recovery.HostChannel;
import org.vmqsc.server.service.ProtectionService;

/**
 * Now and then, tells every live host where everything the catalog still counts on is stored, so that each deletes
 * what its stores hold besides, once older than the grace: what a line's collection could not reach (a host away
 * when the line moved), the checkpoints of an execution a recovery discarded, a deleted group's storage. The
 * collection at each line move stays the usual path; this one catches what it missed.
 */
public final class StorageReconciler {

  private final ProtectionService service;
  private final HostChannel hosts;
  private final Duration grace;

  /**
   * @param grace how old a stored thing must be before a host may delete it as left over: longer than any report
   *     may take to reach the catalog (a host whose lease ran out stops its VMs; a grace of many leases)
   */
  public StorageReconciler(ProtectionService service, HostChannel hosts, Duration grace) {
    this.service = service;
    this.hosts = hosts;
    this.grace = grace;
  }

  /** Sends the catalog's stored locations to every live host; returns the hosts that got them. */
  public List<String> run() {
    Set<String> stored = service.storedLocations();
    return hosts.toLiveHosts(host -> hosts.reconcile(host, stored, grace));  // one away is told at the next round
  }
}
