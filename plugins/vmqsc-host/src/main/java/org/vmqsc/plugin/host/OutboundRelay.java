package org.vmqsc.plugin.host;

import java.util.ArrayList;
import java.util.List;
import org.vmqsc.agent.node.Relay;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.Message;
import org.vmqsc.protocol.host.HostAction.DropReason;

/**
 * Frames one group's node puts on the network, in order, for the host's relay to carry to the receivers' hosts
 * (their relay addresses come with the deployment and the placement orders).
 */
final class OutboundRelay implements Relay {

  record Frame(Message message, byte[] payload) {}

  private final List<Frame> frames = new ArrayList<>();
  private final List<List<LogEntry>> acknowledgements = new ArrayList<>();
  private int dropped;

  @Override public void transmit(Message message, byte[] payload) {
    frames.add(new Frame(message, payload));
  }

  @Override public void acknowledge(List<LogEntry> batch) {
    acknowledgements.add(List.copyOf(batch));
  }

  @Override public void dropped(Message message, DropReason reason) {
    dropped++;
  }

  /** The frames sent since the last call, in order. */
  List<Frame> take() {
    List<Frame> out = List.copyOf(frames);
    frames.clear();
    return out;
  }

  int dropped() {
    return dropped;
  }
}
