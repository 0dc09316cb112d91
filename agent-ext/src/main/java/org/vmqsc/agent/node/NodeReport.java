package org.vmqsc.agent.node;

import org.vmqsc.protocol.BoundaryRecord;
import org.vmqsc.protocol.LogEntry;

/** One thing a host node tells the manager. */
public sealed interface NodeReport {

  /** A checkpoint or log segment, staged on the host or on stable storage at {@code location}. */
  record Boundary(BoundaryRecord record, boolean stable, String location, long sizeBytes, String contentDigest)
      implements NodeReport {}

  /** A late message written to stable storage at {@code location}: the line may pass its channel. */
  record InTransit(LogEntry entry, String location) implements NodeReport {}
}
