package org.vmqsc.protocol;

/**
 * A VM-to-VM message as the relay sees it. {@code seq} numbers the messages of one channel (from, to) from 1;
 * channels are FIFO. {@code index} is the sender's index when it sent the message (the paper's checkpoint sequence
 * number, CSN). {@code incarnation} tells apart
 * messages of an execution that a recovery discarded. The body itself stays with the relay (keyed by the same
 * fields); the protocol needs only its size and digest. {@code senderReceived} is how many messages the sender
 * had received when it sent this one (its rsn then): the part of the sender's execution a receiver of this
 * message depends on, which a recovery past the sender's last stable state must rebuild (causal logging).
 */
public record Message(int from, int to, long seq, long index, int incarnation, int size, long digest,
                      long senderReceived) {

  public Message {
    if (from == to) throw new IllegalArgumentException("a VM does not message itself");
    if (seq < 1) throw new IllegalArgumentException("seq starts at 1, got " + seq);
    if (senderReceived < 0) throw new IllegalArgumentException("a sender's receive count is >= 0, got " + senderReceived);
  }

  /** A message whose sender had received nothing it depends on (or whose dependence is not tracked). */
  public Message(int from, int to, long seq, long index, int incarnation, int size, long digest) {
    this(from, to, seq, index, incarnation, size, digest, 0);
  }

  // Written out, not the record's generated pair: messages are hash keys on a host's hot path (the receive logs'
  // live set a line move collects by), and the generated pair cost the relay about a tenth of its frames per CPU
  // second across agents (bench relay, alternating). A field added to the record must be added to both.
  @Override public boolean equals(Object o) {
    return o instanceof Message m && seq == m.seq && from == m.from && to == m.to && index == m.index
        && incarnation == m.incarnation && size == m.size && digest == m.digest
        && senderReceived == m.senderReceived;
  }

  @Override public int hashCode() {
    long h = seq * 0x9E37_79B9_7F4A_7C15L + (((long) from << 32) | (to & 0xffff_ffffL));
    h = h * 31 + index;
    h = h * 31 + incarnation;
    h = h * 31 + size;
    h = h * 31 + digest;
    h = h * 31 + senderReceived;
    return (int) (h ^ (h >>> 32));
  }

  /**
   * Whether {@code other} is this send made again by a later incarnation of its sender re-executed past its stable
   * state (causal logging): the same message in all but the incarnation, bytes included.
   */
  public boolean isSameSend(Message other) {
    return other.seq == seq && other.from == from && other.to == to && other.index == index && other.size == size
        && other.digest == digest && other.senderReceived == senderReceived;
  }

  @Override public String toString() {
    return "m(" + from + "->" + to + " #" + seq + " index " + index + (incarnation > 0 ? " inc " + incarnation : "") + ")";
  }
}
