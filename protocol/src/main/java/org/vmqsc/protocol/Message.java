package org.vmqsc.protocol;

/**
 * A VM-to-VM message as the relay sees it. {@code seq} numbers the messages of one channel (from, to) from 1;
 * channels are FIFO. {@code index} is the sender's index when it sent the message (the paper's checkpoint sequence
 * number, CSN). {@code incarnation} tells apart
 * messages of an execution that a recovery discarded. The body itself stays with the relay (keyed by the same
 * fields); the protocol needs only its size and digest.
 */
public record Message(int from, int to, long seq, long index, int incarnation, int size, long digest) {

  public Message {
    if (from == to) throw new IllegalArgumentException("a VM does not message itself");
    if (seq < 1) throw new IllegalArgumentException("seq starts at 1, got " + seq);
  }

  @Override public String toString() {
    return "m(" + from + "->" + to + " #" + seq + " index " + index + (incarnation > 0 ? " inc " + incarnation : "") + ")";
  }
}
