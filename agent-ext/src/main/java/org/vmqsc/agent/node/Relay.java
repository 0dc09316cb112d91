package org.vmqsc.agent.node;

import java.util.List;
import org.vmqsc.protocol.CarriedReceipt;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.Message;
import org.vmqsc.protocol.host.HostAction.DropReason;

/**
 * How frames leave a host node: to the network (the host running the receiver, which may be this one), and the
 * acknowledgement batches to the senders' hosts. Frames come in through {@link HostNode#onArrival}.
 */
public interface Relay {

  /** Put a stamped message on the wire to the host that runs its receiver. */
  void transmit(Message message, byte[] payload);

  /**
   * Put a stamped message on the wire with the receipts it carries (causal logging): the receiving host must get
   * them with the message, before it delivers it ({@link HostNode#onArrival(Message, byte[], List)}).
   */
  default void transmit(Message message, byte[] payload, List<CarriedReceipt> carried) {
    if (!carried.isEmpty()) throw new UnsupportedOperationException("this relay cannot carry receipts");
    transmit(message, payload);
  }

  /** Tell the senders' hosts where their cross-host messages landed: one message per sender host. */
  void acknowledge(List<LogEntry> batch);

  /** The node threw a frame away (a duplicate, or sent by an execution a recovery discarded). */
  void dropped(Message message, DropReason reason);
}
