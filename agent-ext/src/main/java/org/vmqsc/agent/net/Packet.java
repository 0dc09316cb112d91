package org.vmqsc.agent.net;

/** One datagram of the tunnel: a frame with its link sequence number, or the link's acknowledgement of one. */
sealed interface Packet {

  /**
   * A frame on the link from one tunnel to one peer. {@code epoch} names that link: it grows when a tunnel starts
   * or gives a peer up, so a receiver tells a fresh link (sequence numbers from 1 again) from stale datagrams.
   */
  record Carrier(long epoch, long linkSeq, Frame frame) implements Packet {}

  /**
   * The receiver has delivered everything up to {@code cumulative} on link {@code epoch}, and holds {@code seq}
   * (received out of order, or a duplicate whose first ack may have been lost).
   */
  record LinkAck(long epoch, long cumulative, long seq) implements Packet {}
}
