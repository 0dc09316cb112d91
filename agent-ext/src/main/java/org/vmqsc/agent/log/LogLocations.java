package org.vmqsc.agent.log;

import java.util.List;
import java.util.regex.Pattern;
import org.vmqsc.protocol.BoundaryKind;
import org.vmqsc.protocol.BoundaryRecord;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.Message;

/**
 * Names of stored log records, shared by the stores so that both hand out and accept the same locations:
 * {@code <group>/segment-vm<vm>-index<index>-inc<incarnation>.log} and
 * {@code <group>/transit-from<from>-to<to>-seq<seq>-inc<incarnation>-rinc<receiver incarnation>.log}. Every number
 * carries its label, so names are unique even for negative values; a location is always two plain path names,
 * which is what makes it safe to resolve under a root directory.
 */
final class LogLocations {

  static final String SUFFIX = ".log";
  /** Group ids are UUIDs in practice; anything that could be a path (slashes, dots alone) is refused. */
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,127}");

  private LogLocations() {}

  static String segment(String groupId, BoundaryRecord segment, List<LoggedMessage> entries) {
    if (segment.kind() != BoundaryKind.LOG_SEGMENT) {
      throw new IllegalArgumentException(segment + " is not a log segment");
    }
    for (LoggedMessage m : entries) {
      if (m.entry().message().to() != segment.vm()) {
        throw new IllegalArgumentException("segment " + segment + " holds " + m.entry().message()
            + ", received by another VM");
      }
    }
    return group(groupId) + "/segment-vm" + segment.vm() + "-index" + segment.index() + "-inc"
        + segment.incarnation() + SUFFIX;
  }

  static String inTransit(String groupId, LoggedMessage message) {
    LogEntry e = message.entry();
    Message m = e.message();
    return group(groupId) + "/transit-from" + m.from() + "-to" + m.to() + "-seq" + m.seq() + "-inc" + m.incarnation()
        + "-rinc" + e.incarnation() + SUFFIX;
  }

  /** Checks a location handed back by a caller: two plain names, no {@code ..}, not absolute, a record's suffix. */
  static String check(String location) {
    if (location == null) {
      throw new IllegalArgumentException("no location");
    }
    String[] parts = location.split("/", -1);
    if (parts.length != 2 || !NAME.matcher(parts[0]).matches() || !NAME.matcher(parts[1]).matches()
        || parts[0].contains("..") || parts[1].contains("..") || !parts[1].endsWith(SUFFIX)) {
      throw new IllegalArgumentException("not a message log location: " + location);
    }
    return location;
  }

  private static String group(String groupId) {
    if (groupId == null || !NAME.matcher(groupId).matches() || groupId.contains("..")) {
      throw new IllegalArgumentException("not a usable group id: " + groupId);
    }
    return groupId;
  }
}
