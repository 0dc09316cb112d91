package org.vmqsc.agent.flush;

/** Where a checkpoint lives: only on the host (good for restarting a VM there), or on stable storage too. */
public enum CheckpointState {
  STAGED,
  STABLE
}
