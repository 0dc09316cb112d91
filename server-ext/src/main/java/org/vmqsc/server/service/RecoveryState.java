package org.vmqsc.server.service;

/** Where a recovery is: claimed by a manager and running, or ended. */
public enum RecoveryState { RUNNING, SUCCEEDED, FAILED }
