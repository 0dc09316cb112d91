package org.vmqsc.agent.node;

import java.util.List;
import org.vmqsc.agent.log.LoggedMessage;
import org.vmqsc.protocol.BoundaryRecord;

/**
 * Writes the log records a node selects to stable storage, in the background of its adapter. When a write is
 * durable, the adapter calls {@link HostNode#onLogStable} with where it landed.
 */
public interface LogWriter {

  void write(LogWrite write);

  /** What to write: a sealed log segment of an MI VM, or one late message. */
  sealed interface LogWrite {
    record Segment(BoundaryRecord record, List<LoggedMessage> entries) implements LogWrite {}

    record InTransit(LoggedMessage message) implements LogWrite {}
  }
}
