package org.vmqsc.protocol.host;

import org.vmqsc.protocol.Message;

/**
 * The sending host's copy of a cross-host message (the paper keeps every cross-host message on both hosts).
 * Once acknowledged it also carries the receiver's rsn and index, so it can replace a receive log lost with the
 * receiver's host, order included.
 */
public record SenderCopy(Message message, long rsn, long receiverIndex, int receiverIncarnation) {

  static SenderCopy unacknowledged(Message m) {
    return new SenderCopy(m, -1, -1, -1);
  }

  public boolean isAcknowledged() {
    return rsn > 0;
  }
}
