package org.vmqsc.agent.net;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.Assume;

/**
 * The bridge tests' "guests": network namespaces, each with one interface on a test bridge and an address on the
 * test's subnet (guest {@code vm} at host {@code vm + 1}); with the shell commands and the frames those tests use.
 */
final class NamespaceGuests {

  private final String subnet;
  private final String[] namespaces;

  /** @param subnet the first three octets and a dot, e.g. {@code "10.77.0."} */
  NamespaceGuests(String subnet, String... namespaces) {
    this.subnet = subnet;
    this.namespaces = namespaces.clone();
  }

  /**
   * Skips the calling test class, saying why, when {@code reason} (why it cannot run here) is not null; fails it
   * instead under {@code CI=true}, where the machine is set up for it.
   */
  static void runsHereOrSkips(String test, String reason) {
    if (reason != null && "true".equals(System.getenv("CI"))) {
      throw new AssertionError(test + " cannot run (CI=true, so this fails instead of skipping): " + reason);
    }
    if (reason != null) System.out.println(test + " skipped: " + reason);
    Assume.assumeTrue("skipped: " + reason, reason == null);
  }

  /** Runs {@code command} in guest {@code vm}'s namespace. */
  void in(int vm, String... command) throws IOException {
    List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", namespaces[vm]));
    c.addAll(List.of(command));
    sh(c.toArray(String[]::new));
  }

  /** Guest {@code vm} sends a UDP datagram to host {@code host} of the test's subnet, port 9 (nobody listens). */
  void send(int vm, int host, String payload) throws IOException {
    in(vm, "bash", "-c", "echo " + payload + " > /dev/udp/" + subnet + host + "/9");
  }

  /** Whether a datagram from guest {@code from} reaches guest {@code to} within a second (its NoPorts count grows). */
  boolean reaches(int from, int to) throws Exception {
    long before = snmp(to, "Udp", "NoPorts");
    send(from, to + 1, "hello");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
    while (System.nanoTime() < deadline) {
      if (snmp(to, "Udp", "NoPorts") > before) return true;
      Thread.sleep(10);
    }
    return false;
  }

  /** A counter of guest {@code vm}'s network stack, from its {@code /proc/net/snmp}. */
  long snmp(int vm, String protocol, String counter) throws IOException {
    List<String> lines = output("ip", "netns", "exec", namespaces[vm], "cat", "/proc/net/snmp").lines()
        .filter(l -> l.startsWith(protocol + ":")).toList();
    List<String> names = List.of(lines.get(0).split("\\s+")), values = List.of(lines.get(1).split("\\s+"));
    return Long.parseLong(values.get(names.indexOf(counter)));
  }

  // ---- shell ---------------------------------------------------------------------------------------------------

  static void quietly(String... command) {
    try {
      sh(command);
    } catch (IOException ignored) {
      // already gone
    }
  }

  static void sh(String... command) throws IOException {
    output(command);
  }

  static String output(String... command) throws IOException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", command) + ": no answer in 20 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted");
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.exitValue() != 0) throw new IOException(String.join(" ", command) + " (" + p.exitValue() + "): " + out.trim());
    return out;
  }

  // ---- frames --------------------------------------------------------------------------------------------------

  /** A UDP datagram to port 9 in a broadcast Ethernet frame, IPv4 header checksum filled in, UDP checksum none. */
  static byte[] udpBroadcast(long fromMac, String from, String to) throws IOException {
    byte[] payload = "broadcast".getBytes(StandardCharsets.US_ASCII);
    ByteBuffer b = ByteBuffer.allocate(14 + 20 + 8 + payload.length);
    b.putShort((short) 0xffff).putInt(-1).putShort((short) (fromMac >>> 32)).putInt((int) fromMac)
        .putShort((short) 0x0800);
    b.put((byte) 0x45).put((byte) 0).putShort((short) (20 + 8 + payload.length)).putInt(0)
        .put((byte) 64).put((byte) 17).putShort((short) 0)
        .put(InetAddress.getByName(from).getAddress()).put(InetAddress.getByName(to).getAddress());
    int sum = 0;
    for (int i = 14; i < 34; i += 2) sum += b.getShort(i) & 0xffff;
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    b.putShort(24, (short) ~sum);
    b.putShort((short) 40000).putShort((short) 9).putShort((short) (8 + payload.length)).putShort((short) 0)
        .put(payload);
    return b.array();
  }

  static int etherType(byte[] frame) {
    return ((frame[12] & 0xff) << 8) | (frame[13] & 0xff);
  }

  static boolean isUdp(byte[] frame) {
    return frame.length >= 14 + 20 + 8 && etherType(frame) == 0x0800 && frame[14 + 9] == 17;
  }

  static boolean isIcmp(byte[] frame, int type) {
    return frame.length >= 14 + 20 + 8 && etherType(frame) == 0x0800 && frame[14 + 9] == 1
        && (frame[14 + 20] & 0xff) == type;
  }
}
