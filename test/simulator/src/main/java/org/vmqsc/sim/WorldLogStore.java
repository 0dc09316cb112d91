package org.vmqsc.sim;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.vmqsc.agent.log.LoggedMessage;
import org.vmqsc.agent.log.StableMessageStore;
import org.vmqsc.protocol.BoundaryRecord;
import org.vmqsc.protocol.Message;

/**
 * The simulated world's stable storage for message logs: shared by every host, it survives host failures. It
 * keeps the records as objects (the simulator writes millions; the file store's format and checks have tests of
 * their own); what a node reads back is exactly what it wrote.
 */
final class WorldLogStore implements StableMessageStore {

  private final Map<String, List<LoggedMessage>> records = new HashMap<>();

  @Override public String writeSegment(String groupId, BoundaryRecord segment, List<LoggedMessage> entries) {
    String location = "log/" + segment.vm() + "/" + segment.index() + "/" + segment.incarnation();
    records.put(location, List.copyOf(entries));
    return location;
  }

  @Override public String writeInTransit(String groupId, LoggedMessage message) {
    Message m = message.entry().message();
    String location = "transit/" + m.from() + "/" + m.to() + "/" + m.seq() + "/" + m.incarnation() + "/"
        + message.entry().incarnation();
    records.put(location, List.of(message));
    return location;
  }

  @Override public List<LoggedMessage> read(String location) throws IOException {
    List<LoggedMessage> r = records.get(location);
    if (r == null) throw new NoSuchFileException(location, null, "no log record there");
    return r;
  }

  @Override public boolean delete(String location) {
    return records.remove(location) != null;
  }
}
