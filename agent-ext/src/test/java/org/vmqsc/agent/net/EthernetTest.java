package org.vmqsc.agent.net;

import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import org.junit.Test;

/** Which frames only announce a NIC (after a restore) rather than come from something in the guest. */
public class EthernetTest {

  private static final long GUEST = 0x5254_0077_0001L;

  @Test public void qemusRarpAndAGratuitousArpAreAnnouncementsOtherFramesAreNot() {
    assertTrue("QEMU's RARP", Ethernet.isAnnouncement(frame(0x8035, new byte[46])));
    assertTrue("a gratuitous ARP request: it asks for its own address",
        Ethernet.isAnnouncement(frame(0x0806, arp(new byte[] {10, 77, 0, 2}, new byte[] {10, 77, 0, 2}))));
    assertFalse("an ARP request for another address",
        Ethernet.isAnnouncement(frame(0x0806, arp(new byte[] {10, 77, 0, 2}, new byte[] {10, 77, 0, 1}))));
    assertFalse("an IPv4 datagram", Ethernet.isAnnouncement(frame(0x0800, new byte[46])));
    assertFalse("an ARP frame cut short", Ethernet.isAnnouncement(frame(0x0806, new byte[10])));
    assertFalse("less than a header", Ethernet.isAnnouncement(new byte[6]));
  }

  private static byte[] frame(int etherType, byte[] payload) {
    ByteBuffer b = ByteBuffer.allocate(Ethernet.HEADER_BYTES + payload.length);
    b.put(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF});
    for (int i = 5; i >= 0; i--) b.put((byte) (GUEST >>> (8 * i)));
    b.putShort((short) etherType).put(payload);
    return b.array();
  }

  /** An Ethernet/IPv4 ARP request from the guest's MAC: sender address {@code spa}, asking for {@code tpa}. */
  private static byte[] arp(byte[] spa, byte[] tpa) {
    ByteBuffer b = ByteBuffer.allocate(46);
    b.putShort((short) 1).putShort((short) 0x0800).put((byte) 6).put((byte) 4).putShort((short) 1);
    for (int i = 5; i >= 0; i--) b.put((byte) (GUEST >>> (8 * i)));
    b.put(spa).put(new byte[6]).put(tpa);
    return b.array();
  }
}
