package org.vmqsc.server.service;

/**
 * What the recovery coordinator does when a failure concerns the group (it reads the policy from
 * {@link Views.GroupView#recoveryPolicy()}); the catalog only stores it.
 */
public enum RecoveryPolicy {
  /** The coordinator plans, claims and carries out the recovery as soon as it learns of a host failure. */
  AUTOMATIC,
  /**
   * The coordinator records the failure and waits: the recovery starts when an admin calls recover for the
   * group (the plan is made then, from what the surviving hosts report at that moment).
   */
  MANUAL
}
