package org.vmqsc.agent.net;

import static org.junit.Assert.assertEquals;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.List;
import org.junit.Test;

/** The kernel's UDP socket table read for one socket's receive queue. */
public class UdpReceiveQueueTest {

  private static final List<String> TABLE = List.of(
      "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops",
      "  481: 0100007F:A1B2 0100007F:1F90 01 00000000:00000300 00:00000000 00000000     0        0 1 2 0000 0",
      "  482: 00000000:0BB8 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 3 2 0000 0",
      "  483: 0000000000000000FFFF00000100007F:C350 00000000000000000000000000000000:0000 07 00000000:00000A00 00:00000000"
          + " 00000000     0        0 4 2 0000 0");

  @Test public void theReceiveQueueOfTheSocketBoundToTheAddress() throws Exception {
    Inet4Address loopback = (Inet4Address) InetAddress.getByName("127.0.0.1");
    assertEquals(0x300, UdpReceiveQueue.bytesQueued(TABLE, loopback, 0xA1B2));
    assertEquals(0, UdpReceiveQueue.bytesQueued(TABLE, loopback, 3000)); // bound to every address
    assertEquals(0xA00, UdpReceiveQueue.bytesQueued(TABLE, loopback, 50000)); // an IPv6 socket, IPv4-mapped
    assertEquals(-1, UdpReceiveQueue.bytesQueued(TABLE, loopback, 4000)); // no such socket
  }
}
