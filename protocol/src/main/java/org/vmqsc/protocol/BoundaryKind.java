package org.vmqsc.protocol;

/** What a VM leaves behind at a base boundary. */
public enum BoundaryKind {
  /** A checkpoint whose CSN is the boundary's index. */
  CHECKPOINT,
  /** An MI VM not due at that index: its receive log since its previous boundary, written to stable storage. */
  LOG_SEGMENT
}
