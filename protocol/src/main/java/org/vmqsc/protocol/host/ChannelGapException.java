package org.vmqsc.protocol.host;

import org.vmqsc.protocol.Message;

/**
 * A message arrived ahead of its channel: an earlier one of the same channel has not arrived. Channels are FIFO
 * between two hosts, so in the simulator this is a lost message; a network whose order holds per host pair, not
 * per channel (a sender that migrated sends from a new host), may deliver the earlier one still, and its relay may
 * hold this one until it has.
 */
public final class ChannelGapException extends IllegalStateException {

  private final transient Message message;

  public ChannelGapException(Message message, long expected) {
    super("channel " + message.from() + "->" + message.to() + " skipped from #" + (expected - 1) + " to #"
        + message.seq() + ": channels are FIFO, a message was lost");
    this.message = message;
  }

  public Message message() {
    return message;
  }
}
