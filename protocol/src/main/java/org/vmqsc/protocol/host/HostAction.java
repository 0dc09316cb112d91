package org.vmqsc.protocol.host;

import java.util.List;
import org.vmqsc.protocol.BoundaryRecord;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.Message;

/** What the host rules ask the hypervisor, the relay or the stores to do, in the order they are returned. */
public sealed interface HostAction {

  /** Snapshot the guest now (live); report it staged when written on the host, then stable when flushed. */
  record TakeCheckpoint(BoundaryRecord record) implements HostAction {}

  /** Write a sealed receive-log segment of an MI VM that is not due at this index to stable storage. */
  record WriteLogSegment(BoundaryRecord record, List<LogEntry> entries) implements HostAction {}

  /** Write a late message (in transit across a line) to stable storage: the line cannot pass it until then. */
  record WriteInTransit(LogEntry entry) implements HostAction {}

  /** Hand the message to the guest. */
  record Deliver(LogEntry entry) implements HostAction {}

  /**
   * Tell the senders' hosts where their messages landed, so their copies can stand in for a receive log lost with
   * this host. Batched: one per base period, sent as one message per sender host.
   */
  record Acknowledge(List<LogEntry> entries) implements HostAction {}

  /** Throw the message away, and why. */
  record Drop(Message message, DropReason reason) implements HostAction {}

  enum DropReason {
    /** Delivered already (a replayed or re-sent copy). */
    DUPLICATE,
    /** Sent by an execution that a recovery discarded. */
    STALE,
    /**
     * Its receiver migrated away from this host. Its sender resends it from its copy when it learns where the
     * receiver runs now; a message with no copy (sent from this host) travelled with the receiver's state.
     */
    MOVED,
    /**
     * It arrived ahead of an earlier message of its channel at a VM that migrated here: that message was dropped
     * at a host the VM had left, and the sender resends both, in order, when it learns where the VM runs.
     */
    REORDERED
  }
}
