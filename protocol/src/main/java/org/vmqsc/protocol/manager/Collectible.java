package org.vmqsc.protocol.manager;

import java.util.List;
import org.vmqsc.protocol.BoundaryRecord;

/**
 * What lies behind the recovery line and can be deleted from stable storage: checkpoints older than each VM's
 * line checkpoint, log segments before it, and in-transit messages the line now contains as received.
 */
public record Collectible(List<BoundaryRecord> checkpoints, List<BoundaryRecord> segments,
                          List<ChannelRange> inTransit) {

  /** Messages {@code fromSeq..toSeq} (inclusive) of channel {@code from -> to}. */
  public record ChannelRange(int from, int to, long fromSeq, long toSeq) {}

  public boolean isEmpty() {
    return checkpoints.isEmpty() && segments.isEmpty() && inTransit.isEmpty();
  }
}
