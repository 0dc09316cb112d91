package org.vmqsc.agent.net;

import java.io.Closeable;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;

/**
 * The datagram socket under a tunnel. An interface so tests can put a lossy network between two tunnels (drop,
 * duplicate, reorder) without touching the tunnel's own logic.
 */
public interface Datagrams extends Closeable {

  void send(DatagramPacket packet) throws IOException;

  /** Blocks until a datagram arrives; throws once the socket is closed. */
  void receive(DatagramPacket packet) throws IOException;

  InetSocketAddress localAddress();

  boolean isClosed();

  @Override void close();

  /** A real UDP socket bound to {@code address} (port 0: an ephemeral one). */
  static Datagrams bind(InetSocketAddress address) throws IOException {
    DatagramSocket socket = new DatagramSocket(address);
    // Room for bursts: a full send window of large datagrams must not overflow the kernel's default buffer.
    socket.setReceiveBufferSize(4 << 20);
    return new Datagrams() {
      @Override public void send(DatagramPacket packet) throws IOException {
        socket.send(packet);
      }

      @Override public void receive(DatagramPacket packet) throws IOException {
        socket.receive(packet);
      }

      @Override public InetSocketAddress localAddress() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
      }

      @Override public boolean isClosed() {
        return socket.isClosed();
      }

      @Override public void close() {
        socket.close();
      }
    };
  }
}
