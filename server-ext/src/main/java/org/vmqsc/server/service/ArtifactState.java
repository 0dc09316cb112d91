package org.vmqsc.server.service;

/** Where a checkpoint or a log segment is in its life. */
public enum ArtifactState {
  /** On its host only: good for restarting the VM on that host, not for a recovery line. */
  STAGED,
  /** On stable storage: it may be part of a recovery line. */
  STABLE,
  /** Behind the recovery line and deleted from storage; the row stays as history (soft-deleted). */
  COLLECTED,
  /** Made by an execution that a recovery rolled back; the row stays as history (soft-deleted). */
  DISCARDED;

  /** Whether the artifact still counts for the protocol (collected and discarded ones do not). */
  public boolean isLive() {
    return this == STAGED || this == STABLE;
  }
}
