package org.vmqsc.agent.net;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * How many bytes wait in the receive queue of a UDP socket of this host, by its local address, from the kernel's
 * socket table ({@code /proc/net/udp}: a line per socket, its local address as {@code HEXADDR:HEXPORT} with the IPv4
 * address in the host's byte order, and {@code tx_queue:rx_queue} in hex). A guest's QEMU reads its NIC's socket
 * only while the guest runs: bytes still queued there have not reached the guest.
 */
final class UdpReceiveQueue {

  /** IPv4 sockets, then IPv6 ones (a Java socket is one, bound to the IPv4-mapped address, unless told otherwise). */
  private static final List<Path> TABLES = List.of(Path.of("/proc/net/udp"), Path.of("/proc/net/udp6"));

  private UdpReceiveQueue() {}

  /** The bytes queued for the IPv4 socket bound to {@code local}; -1 when no such socket is listed (or no table). */
  static long bytesQueued(InetSocketAddress local) throws IOException {
    if (!(local.getAddress() instanceof Inet4Address v4)) return -1;
    for (Path table : TABLES) {
      try {
        long queued = bytesQueued(Files.readAllLines(table, StandardCharsets.US_ASCII), v4, local.getPort());
        if (queued >= 0) return queued;
      } catch (NoSuchFileException e) {
        // no such table here
      }
    }
    return -1;
  }

  static long bytesQueued(List<String> table, Inet4Address address, int port) {
    String hexPort = ":" + String.format(Locale.ROOT, "%04X", port);
    String v4 = hexAddress(address);
    // IPv4, IPv4-mapped IPv6 (::ffff:a.b.c.d, four words each in host order), and either wildcard.
    List<String> wanted = List.of(v4 + hexPort, "0000000000000000FFFF0000" + v4 + hexPort, "00000000" + hexPort,
        "00000000000000000000000000000000" + hexPort);
    for (int i = 1; i < table.size(); i++) {
      String[] fields = table.get(i).trim().split("\\s+");
      // sl local_address rem_address st tx_queue:rx_queue ...
      if (fields.length < 5 || !wanted.contains(fields[1].toUpperCase(Locale.ROOT))) continue;
      String queues = fields[4];
      int colon = queues.indexOf(':');
      if (colon < 0) return -1;
      return Long.parseLong(queues.substring(colon + 1), 16);
    }
    return -1;
  }

  /** The address as the table writes it: the 32-bit value in little-endian order (x86, arm64), in hex. */
  private static String hexAddress(Inet4Address address) {
    byte[] b = address.getAddress();
    return String.format(Locale.ROOT, "%02X%02X%02X%02X", b[3], b[2], b[1], b[0]);
  }
}
