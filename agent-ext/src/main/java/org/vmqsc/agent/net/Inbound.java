package org.vmqsc.agent.net;

import java.util.List;
import org.vmqsc.agent.node.HostNode;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.Message;

/**
 * Where a relay hands what arrives: a {@link HostNode} in an agent. An interface because the node takes its relay
 * in its constructor, so the relay is attached to the node afterwards.
 */
public interface Inbound {

  void onArrival(Message message, byte[] payload);

  void onAcknowledgements(List<LogEntry> batch);

  static Inbound of(HostNode node) {
    return new Inbound() {
      @Override public void onArrival(Message message, byte[] payload) {
        node.onArrival(message, payload);
      }

      @Override public void onAcknowledgements(List<LogEntry> batch) {
        node.onAcknowledgements(batch);
      }
    };
  }
}
