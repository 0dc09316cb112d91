package org.vmqsc.agent.net;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The relay's own port on a Linux bridge whose other ports are guests' NICs (a Xen host's VIFs on the relay network's
 * bridge {@code xapiN}): a {@link TapDevice} made a port of the bridge, the only port that is not <em>isolated</em>.
 * The kernel forwards nothing between two isolated ports, so every frame a guest sends on the bridge reaches the
 * relay and no other guest; the relay writes a frame for a guest into its TAP and the bridge delivers it.
 *
 * <p>The guests' ports must not learn either: a unicast frame from an isolated port to a MAC the bridge has learnt
 * on another isolated port is dropped, not sent to the TAP (the kernel delivers a known unicast to its port or
 * nowhere). With no guest MAC learnt, every guest's unicast is flooded, and flooding from an isolated port reaches
 * only the TAP. The price: a frame the relay writes for a guest is flooded to every guest port of the bridge, and the
 * other guests' NICs drop it by its destination MAC (a guest whose NIC is promiscuous sees it).
 *
 * <p>What this class sees to itself: the bridge is a Linux bridge with isolated ports (a kernel of 4.18 or later;
 * an Open vSwitch bridge is refused); its TAP is not isolated and does not learn (frames it writes carry other
 * guests' source MACs); every other port of the bridge is isolated and does not learn — {@link #isolateOthers}
 * sees to any that is not (and forgets what it learnt) and names it, so the caller can warn.
 */
final class BridgeTap implements AutoCloseable {

  private static final Path SYS_NET = Path.of("/sys/class/net");
  /** The relays' TAP devices' names start so: another group's relay on the same bridge is not a guest's port. */
  static final String TAP_PREFIX = "vmqsc";

  private final String bridge;
  private final TapDevice tap;

  private BridgeTap(String bridge, TapDevice tap) {
    this.bridge = bridge;
    this.tap = tap;
  }

  /** Opens a TAP device and makes it a port of {@code bridge}, learning off and not isolated. */
  static BridgeTap open(String bridge) throws IOException {
    Path dir = SYS_NET.resolve(bridge);
    if (!Files.isDirectory(dir)) throw new IOException("no network device " + bridge + " on this host");
    if (!Files.isDirectory(dir.resolve("bridge"))) {
      throw new IOException(bridge + " is not a Linux bridge (an Open vSwitch bridge? the relay needs the Linux "
          + "bridge network backend: xe-switch-network-backend bridge)");
    }
    TapDevice tap = TapDevice.open(TAP_PREFIX + "%d");
    try {
      run("ip", "link", "set", "dev", tap.name(), "master", bridge);
      Path port = SYS_NET.resolve(tap.name()).resolve("brport");
      if (!Files.exists(port.resolve("isolated"))) {
        throw new IOException("bridge " + bridge + " has no isolated ports (a kernel older than 4.18): guests' "
            + "frames could pass between them without the relay");
      }
      Files.writeString(port.resolve("learning"), "0");
      Files.writeString(port.resolve("isolated"), "0");
      // The host's own stack sends nothing out of the TAP (it would only come back to the relay as spoofed).
      Path ipv6 = Path.of("/proc/sys/net/ipv6/conf", tap.name(), "disable_ipv6");
      if (Files.exists(ipv6)) Files.writeString(ipv6, "1");
      run("ip", "link", "set", "dev", tap.name(), "up");
      return new BridgeTap(bridge, tap);
    } catch (IOException | RuntimeException e) {
      tap.close();
      throw e;
    }
  }

  String bridge() {
    return bridge;
  }

  TapDevice tap() {
    return tap;
  }

  /** The bridge's ports other than relays' TAPs (this one's, or another group's), by device name. */
  List<String> otherPorts() throws IOException {
    List<String> ports = new ArrayList<>();
    try (Stream<Path> s = Files.list(SYS_NET.resolve(bridge).resolve("brif"))) {
      s.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(TAP_PREFIX)).sorted().forEach(ports::add);
    }
    return ports;
  }

  /**
   * Isolates every port of the bridge but the TAP, learning off, where it is not so yet (and flushes what such a
   * port learnt); returns the ports it had to change. A port that left the bridge meanwhile is skipped.
   */
  List<String> isolateOthers() throws IOException {
    List<String> changed = new ArrayList<>();
    for (String port : otherPorts()) {
      Path dir = SYS_NET.resolve(bridge).resolve("brif").resolve(port);
      try {
        boolean isolated = Files.readString(dir.resolve("isolated"), StandardCharsets.US_ASCII).trim().equals("1");
        boolean learning = !Files.readString(dir.resolve("learning"), StandardCharsets.US_ASCII).trim().equals("0");
        if (isolated && !learning) continue;
        Files.writeString(dir.resolve("isolated"), "1");
        Files.writeString(dir.resolve("learning"), "0");
        Files.writeString(dir.resolve("flush"), "1");
        changed.add(port);
      } catch (NoSuchFileException gone) {
        // the port left the bridge
      }
    }
    return changed;
  }

  @Override public void close() {
    tap.close();
  }

  private static void run(String... command) throws IOException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", command) + ": no answer in 10 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new IOException(String.join(" ", command) + ": interrupted");
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    if (p.exitValue() != 0) throw new IOException(String.join(" ", command) + " failed: " + out);
  }
}
