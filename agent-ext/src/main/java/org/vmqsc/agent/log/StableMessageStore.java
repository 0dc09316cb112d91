package org.vmqsc.agent.log;

import java.io.IOException;
import java.util.List;
import org.vmqsc.protocol.BoundaryRecord;

/**
 * The stable tier of the message log: sealed log segments of MI VMs and late (in-transit) messages, with their
 * payloads, on storage that survives the host. A write is atomic and durable when it returns; a read verifies
 * what it returns and refuses damaged data with {@link CorruptLogException}; nothing half-written is ever read.
 * Locations are opaque strings the manager keeps in its catalog and hands back for reads and deletes.
 */
public interface StableMessageStore {

  /** Writes the log segment {@code segment} (a LOG_SEGMENT record) of group {@code groupId}; returns where. */
  String writeSegment(String groupId, BoundaryRecord segment, List<LoggedMessage> entries) throws IOException;

  /** Writes one late message of group {@code groupId}, received by {@code message.entry().message().to()}. */
  String writeInTransit(String groupId, LoggedMessage message) throws IOException;

  /** Reads back what a write stored at {@code location}, verified, in the order written. */
  List<LoggedMessage> read(String location) throws IOException;

  /**
   * Deletes what lies at {@code location} (behind the recovery line); deleting twice is not an error. True when
   * there was something to delete.
   */
  boolean delete(String location) throws IOException;

  /**
   * Every record stored, by location, with when it was written (on the clock of the store's file server, for a
   * directory): for deleting what the catalog no longer names. Empty by default: a store that cannot list its
   * records (the simulator's world) is only ever collected by name.
   */
  default java.util.Map<String, java.time.Instant> records() throws IOException {
    return java.util.Map.of();
  }

  /** Whether {@code location} names a log record (the manager's collectable locations name checkpoints too). */
  static boolean isRecordLocation(String location) {
    try {
      LogLocations.check(location);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
