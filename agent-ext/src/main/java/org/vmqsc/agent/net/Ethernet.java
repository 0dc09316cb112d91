package org.vmqsc.agent.net;

import java.util.Locale;

/**
 * The few facts of an Ethernet II frame the relay needs: who sent it and to whom. A MAC address is held as the low
 * 48 bits of a long. Frames are read in place, never parsed further (the relay carries whatever protocol the guests
 * speak above Ethernet).
 */
public final class Ethernet {

  /** Destination and source MACs, then the EtherType: the shortest frame that names both ends. */
  public static final int HEADER_BYTES = 14;
  /** The largest frame QEMU hands a UDP backend with the default MTU (1500 + header + VLAN tag, with room). */
  public static final int MAX_FRAME_BYTES = 1536;
  public static final long BROADCAST = 0xFFFF_FFFF_FFFFL;

  private Ethernet() {}

  public static long destination(byte[] frame) {
    return mac(frame, 0);
  }

  public static long source(byte[] frame) {
    return mac(frame, 6);
  }

  /** Broadcast and multicast addresses (the I/G bit of the first octet): a switch sends them to every port. */
  public static boolean isGroupAddress(long mac) {
    return (mac & 0x0100_0000_0000L) != 0;
  }

  private static final int ETHERTYPE_ARP = 0x0806, ETHERTYPE_RARP = 0x8035;
  /** Where an Ethernet ARP packet (IPv4) holds the sender's and the target's protocol address. */
  private static final int ARP_SENDER_IP = HEADER_BYTES + 14, ARP_TARGET_IP = HEADER_BYTES + 24;

  /**
   * Whether the frame only announces where a NIC is, as after a restore or a migration: QEMU's own RARP frames
   * (EtherType 0x8035), or a gratuitous ARP from the guest's driver (sender and target address the same). Neither
   * says that anything in the guest listens yet.
   */
  public static boolean isAnnouncement(byte[] frame) {
    if (frame.length < HEADER_BYTES) return false;
    int type = ((frame[12] & 0xFF) << 8) | (frame[13] & 0xFF);
    if (type == ETHERTYPE_RARP) return true;
    if (type != ETHERTYPE_ARP || frame.length < ARP_TARGET_IP + 4) return false;
    for (int i = 0; i < 4; i++) {
      if (frame[ARP_SENDER_IP + i] != frame[ARP_TARGET_IP + i]) return false;
    }
    return true;
  }

  /** {@code 52:54:00:12:34:56} → its 48 bits; a clear error for anything else. */
  public static long parseMac(String text) {
    String[] parts = text.trim().split(":");
    if (parts.length != 6) throw new IllegalArgumentException("not a MAC address (six hex octets with ':'): " + text);
    long mac = 0;
    for (String p : parts) {
      if (p.length() != 2) throw new IllegalArgumentException("not a MAC address (six hex octets with ':'): " + text);
      try {
        mac = (mac << 8) | Integer.parseInt(p, 16);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("not a MAC address (six hex octets with ':'): " + text, e);
      }
    }
    return mac;
  }

  public static String formatMac(long mac) {
    StringBuilder s = new StringBuilder(17);
    for (int shift = 40; shift >= 0; shift -= 8) {
      if (s.length() > 0) s.append(':');
      s.append(String.format(Locale.ROOT, "%02x", (mac >>> shift) & 0xFF));
    }
    return s.toString();
  }

  private static long mac(byte[] frame, int at) {
    long mac = 0;
    for (int i = at; i < at + 6; i++) mac = (mac << 8) | (frame[i] & 0xFF);
    return mac;
  }
}
