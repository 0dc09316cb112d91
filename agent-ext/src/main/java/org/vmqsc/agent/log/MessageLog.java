package org.vmqsc.agent.log;

import java.io.IOException;
import java.util.List;
import java.util.function.Predicate;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.Message;

/**
 * A host's message log with payloads. The host rules keep what the protocol needs of each message (its
 * determinant, its copy for a cross-host receiver); this keeps the bytes, in host memory, for as long as the
 * rules keep the message, and reads back what was written to the stable tier.
 */
public final class MessageLog {

  private final Payloads payloads = new Payloads();
  private final StableMessageStore stable;

  public MessageLog(StableMessageStore stable) {
    this.stable = stable;
  }

  /** Keeps the payload of a message this host sent to another host, or received. */
  public void keep(Message m, byte[] payload) {
    payloads.putIfAbsent(m, payload);
  }

  /** The payload of a message the host still keeps, or null. */
  public byte[] payload(Message m) {
    return payloads.get(m);
  }

  /**
   * The payload of {@code m}, or of the same send made again by a later incarnation of its sender (a VM re-executed
   * past its stable state sends the very same bytes), or null.
   */
  public byte[] payloadOfSameSend(Message m) {
    return payloads.getSameSend(m);
  }

  public LoggedMessage withPayload(LogEntry e) {
    byte[] p = payloads.get(e.message());
    if (p == null) throw new IllegalStateException("the log holds " + e.message() + " but not its payload");
    return new LoggedMessage(e, p);
  }

  /** Forgets every payload but those {@code live} accepts: the messages the host rules still keep. */
  public void retainOnly(Predicate<Message> live) {
    payloads.retainOnly(live);
  }

  public int size() {
    return payloads.size();
  }

  /** Reads a record of the stable tier (a log segment or a late message), verified. */
  public List<LoggedMessage> readStable(String location) throws IOException {
    return stable.read(location);
  }
}
