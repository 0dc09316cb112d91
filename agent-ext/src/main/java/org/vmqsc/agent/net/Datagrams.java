package org.vmqsc.agent.net;

import java.io.Closeable;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.InetSocketAddress;

/**
 * The datagram socket under a tunnel. An interface so tests can put a lossy network between two tunnels (drop,
 * duplicate, reorder) without touching the tunnel's own logic.
 */
public interface Datagrams extends Closeable {

  void send(DatagramPacket packet) throws IOException;

  /** Blocks until a datagram arrives; throws once the socket is closed. */
  void receive(DatagramPacket packet) throws IOException;

  /**
   * Takes a datagram that has already arrived, without waiting: false when none has (or when this socket cannot
   * tell). The tunnel reads every datagram waiting before it answers them, one link acknowledgement per peer.
   */
  default boolean receiveWaiting(DatagramPacket packet) throws IOException {
    return false;
  }

  InetSocketAddress localAddress();

  boolean isClosed();

  @Override void close();

  /** A real UDP socket bound to {@code address} (port 0: an ephemeral one). */
  static Datagrams bind(InetSocketAddress address) throws IOException {
    return ChannelDatagrams.bind(address);
  }
}
