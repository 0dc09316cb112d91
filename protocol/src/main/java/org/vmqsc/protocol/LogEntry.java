package org.vmqsc.protocol;

/**
 * A received message with its determinant: where in the receiver's execution it was delivered. Replaying the
 * entries of a VM in {@code rsn} order, each at its {@code position}, rebuilds the VM's state exactly (PWD).
 *
 * @param rsn      receive sequence number: the receiver's count of received messages, this one included
 * @param position the receiver's position (deterministic steps done) when the message was delivered
 * @param receiverIndex the receiver's index when it received the message
 * @param incarnation the receiver's incarnation then: an rsn means nothing to a later incarnation
 */
public record LogEntry(Message message, long rsn, long position, long receiverIndex, int incarnation) {

  /** A message is late when it was sent in an earlier interval than the one it is received in (hole 1). */
  public boolean isLate() {
    return message.index() < receiverIndex;
  }
}
