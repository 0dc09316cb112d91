package org.vmqsc.agent.net;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.Test;
import org.vmqsc.protocol.Message;

/** A tunnel answers the datagrams waiting for it together: one link acknowledgement per peer, not one per datagram. */
public class LinkAcknowledgementsTest {

  private static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

  @Test public void datagramsWaitingTogetherAreAcknowledgedOnce() throws Exception {
    try (DatagramSocket peer = new DatagramSocket(LOOPBACK)) {
      Datagrams socket = Datagrams.bind(LOOPBACK);
      // Ten frames wait in the socket before the tunnel reads any (loopback delivers within the send).
      for (long seq = 1; seq <= 10; seq++) {
        byte[] d = WireFormat.encode(new Packet.Carrier(7, seq,
            new Frame.Data("g", new Message(0, 1, seq, 1, 0, 1, seq), new byte[] {(byte) seq})));
        peer.send(new DatagramPacket(d, d.length, socket.localAddress()));
      }
      List<Frame> delivered = new CopyOnWriteArrayList<>();
      UdpTunnel tunnel = new UdpTunnel(socket, TunnelConfig.defaults(), PeerListener.IGNORE);
      try {
        tunnel.register("g", delivered::add);
        List<Packet.LinkAck> acks = acksWithin(peer, 500);
        assertEquals("acknowledgements " + acks, 1, acks.size());
        assertEquals(new Packet.LinkAck(7, 10, 10), acks.get(0));
        assertEquals(10, tunnel.stats().received());
      } finally {
        tunnel.close();
      }
    }
  }

  @Test public void aWaitingDatagramIsTakenWithoutBlockingAndNoneIsSaidWhenNoneWaits() throws Exception {
    try (DatagramSocket peer = new DatagramSocket(LOOPBACK)) {
      Datagrams socket = Datagrams.bind(LOOPBACK);
      try {
        byte[] buffer = new byte[64];
        assertFalse(socket.receiveWaiting(new DatagramPacket(buffer, buffer.length)));
        peer.send(new DatagramPacket(new byte[] {1, 2, 3}, 3, socket.localAddress()));
        peer.send(new DatagramPacket(new byte[] {4}, 1, socket.localAddress()));
        DatagramPacket first = new DatagramPacket(buffer, buffer.length);
        socket.receive(first);
        assertArrayEquals(new byte[] {1, 2, 3}, java.util.Arrays.copyOf(first.getData(), first.getLength()));
        assertEquals(peer.getLocalSocketAddress(), first.getSocketAddress());
        DatagramPacket second = new DatagramPacket(buffer, buffer.length);
        assertTrue(socket.receiveWaiting(second));
        assertEquals(1, second.getLength());
        assertFalse(socket.receiveWaiting(new DatagramPacket(buffer, buffer.length)));
      } finally {
        socket.close();
      }
      assertTrue(socket.isClosed());
    }
  }

  /** The link acknowledgements the peer receives until none comes for {@code quietMillis}. */
  private static List<Packet.LinkAck> acksWithin(DatagramSocket peer, int quietMillis) throws Exception {
    List<Packet.LinkAck> acks = new ArrayList<>();
    peer.setSoTimeout(quietMillis);
    byte[] buffer = new byte[WireFormat.MAX_DATAGRAM];
    while (true) {
      DatagramPacket p = new DatagramPacket(buffer, buffer.length);
      try {
        peer.receive(p);
      } catch (SocketTimeoutException e) {
        return acks;
      }
      acks.add((Packet.LinkAck) WireFormat.decode(p.getData(), p.getOffset(), p.getLength()));
    }
  }
}
