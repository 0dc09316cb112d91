package org.vmqsc.protocol.recovery;

/** Where a replayed message comes from. */
public enum ReplaySource {
  /** The stable log of late messages (in transit across the line). */
  STABLE_IN_TRANSIT,
  /** The receiver's own volatile receive log, on a surviving host. */
  RECEIVER_LOG,
  /** The sender host's copy of a cross-host message. */
  SENDER_COPY
}
