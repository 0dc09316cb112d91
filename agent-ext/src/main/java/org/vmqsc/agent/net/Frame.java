package org.vmqsc.agent.net;

import java.util.List;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.Message;

/** What one host agent tells another about a protection group: a VM-to-VM message, or where messages landed. */
public sealed interface Frame {

  String group();

  /** A message for a VM of {@code group} that runs on the receiving host. */
  record Data(String group, Message message, byte[] payload) implements Frame {}

  /** The receiver's host tells the sender's host where its messages were logged (HostNode's acknowledgements). */
  record Acks(String group, List<LogEntry> entries) implements Frame {
    public Acks {
      entries = List.copyOf(entries);
    }
  }
}
