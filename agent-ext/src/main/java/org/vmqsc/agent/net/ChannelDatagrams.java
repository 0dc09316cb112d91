package org.vmqsc.agent.net;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;

/**
 * A UDP socket that can tell whether a datagram is waiting: a non-blocking channel, and a selector that only the
 * receiving thread waits on. A send the kernel has no room for is dropped, as a full queue on the wire would drop
 * it; the tunnel's retransmission covers both.
 */
final class ChannelDatagrams implements Datagrams {

  private final DatagramChannel channel;
  private final Selector selector;
  private final InetSocketAddress local;
  private volatile boolean closed;

  private ChannelDatagrams(DatagramChannel channel, Selector selector) throws IOException {
    this.channel = channel;
    this.selector = selector;
    this.local = (InetSocketAddress) channel.getLocalAddress();
  }

  static ChannelDatagrams bind(InetSocketAddress address) throws IOException {
    DatagramChannel channel = DatagramChannel.open();
    try {
      // Room for bursts: a full send window of large datagrams must not overflow the kernel's default buffer.
      channel.setOption(StandardSocketOptions.SO_RCVBUF, 4 << 20);
      channel.bind(address);
      channel.configureBlocking(false);
      Selector selector = Selector.open();
      channel.register(selector, SelectionKey.OP_READ);
      return new ChannelDatagrams(channel, selector);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  @Override public void send(DatagramPacket packet) throws IOException {
    channel.send(ByteBuffer.wrap(packet.getData(), packet.getOffset(), packet.getLength()), packet.getSocketAddress());
  }

  @Override public void receive(DatagramPacket packet) throws IOException {
    while (!receiveWaiting(packet)) {
      try {
        selector.select();
        selector.selectedKeys().clear();
      } catch (ClosedSelectorException e) {
        throw new SocketException("socket " + local + " is closed");
      }
    }
  }

  @Override public boolean receiveWaiting(DatagramPacket packet) throws IOException {
    if (closed) throw new SocketException("socket " + local + " is closed");
    ByteBuffer into = ByteBuffer.wrap(packet.getData(), packet.getOffset(), packet.getData().length - packet.getOffset());
    SocketAddress from = channel.receive(into);
    if (from == null) return false;
    packet.setLength(into.position() - packet.getOffset());
    packet.setSocketAddress(from);
    return true;
  }

  @Override public InetSocketAddress localAddress() {
    return local;
  }

  @Override public boolean isClosed() {
    return closed;
  }

  @Override public void close() {
    closed = true;
    selector.wakeup();
    try {
      channel.close();
    } catch (IOException ignored) {
      // closing: nothing left to lose
    }
    try {
      selector.close();
    } catch (IOException ignored) {
      // as above
    }
  }
}
