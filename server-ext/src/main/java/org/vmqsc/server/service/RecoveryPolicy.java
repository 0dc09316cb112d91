package org.vmqsc.server.service;

/** What the manager does when a host of the group fails. */
public enum RecoveryPolicy {
  /** Roll back and restart the affected VMs at once. */
  AUTOMATIC,
  /** Record the failure and the plan, and wait for an admin to start the recovery. */
  MANUAL
}
