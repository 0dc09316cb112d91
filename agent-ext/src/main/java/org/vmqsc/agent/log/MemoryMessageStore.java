package org.vmqsc.agent.log;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.vmqsc.protocol.BoundaryRecord;

/**
 * The stable message log in memory, for the simulator and tests: the same locations and the same contract as
 * {@link DirectoryMessageStore}. It keeps encoded bytes, not objects, so every read decodes and verifies as a read
 * from disk does.
 */
public final class MemoryMessageStore implements StableMessageStore {

  private final Map<String, byte[]> records = new ConcurrentHashMap<>();
  private final Map<String, java.time.Instant> written = new ConcurrentHashMap<>();

  @Override public String writeSegment(String groupId, BoundaryRecord segment, List<LoggedMessage> entries)
      throws IOException {
    String location = LogLocations.segment(groupId, segment, entries);
    put(location, MessageLogCodec.encode(entries));
    return location;
  }

  @Override public String writeInTransit(String groupId, LoggedMessage message) throws IOException {
    String location = LogLocations.inTransit(groupId, message);
    put(location, MessageLogCodec.encode(List.of(message)));
    return location;
  }

  @Override public List<LoggedMessage> read(String location) throws IOException {
    byte[] stored = records.get(LogLocations.check(location));
    if (stored == null) {
      throw new NoSuchFileException(location, null, "no message log record there in " + this);
    }
    return MessageLogCodec.decode(stored, location);
  }

  @Override public Map<String, java.time.Instant> records() {
    Map<String, java.time.Instant> out = new java.util.TreeMap<>();
    for (String location : records.keySet()) out.put(location, written.getOrDefault(location, java.time.Instant.EPOCH));
    return out;
  }

  @Override public boolean delete(String location) {
    written.remove(location);
    return records.remove(LogLocations.check(location)) != null;
  }

  /** How many records it holds (for the simulator's statistics). */
  public int size() {
    return records.size();
  }

  @Override public String toString() {
    return "in-memory message log";
  }

  private void put(String location, byte[] bytes) throws IOException {
    byte[] existing = records.putIfAbsent(location, bytes);
    if (existing == null) written.put(location, java.time.Instant.now());
    if (existing != null && !Arrays.equals(existing, bytes)) {
      throw new IOException(location + " in " + this + " already holds a different log record; records are never "
          + "replaced");
    }
  }
}
