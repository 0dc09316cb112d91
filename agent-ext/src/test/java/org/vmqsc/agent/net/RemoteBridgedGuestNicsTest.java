package org.vmqsc.agent.net;

import static org.junit.Assert.assertArrayEquals;
import static org.vmqsc.agent.net.NamespaceGuests.etherType;
import static org.vmqsc.agent.net.NamespaceGuests.isUdp;
import static org.vmqsc.agent.net.NamespaceGuests.output;
import static org.vmqsc.agent.net.NamespaceGuests.quietly;
import static org.vmqsc.agent.net.NamespaceGuests.sh;
import static org.vmqsc.agent.net.NamespaceGuests.udpBroadcast;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.After;
import org.junit.Before;
import org.junit.BeforeClass;
import org.junit.Rule;
import org.junit.Test;
import org.vmqsc.agent.net.RecordingUplink.Handed;
import org.junit.rules.TemporaryFolder;

/**
 * The relay in the management server serving the relay network's bridge in a Xen host's dom0, with no Xen: the
 * "dom0" is a network namespace holding the bridge {@code xapi0}; two "guests" are namespaces A (VM 0) and B (VM 1),
 * each with a veth whose peer ({@code vif1.0}, {@code vif2.0}) is a port of that bridge; a veth pair joins the test's
 * root namespace (the "management server", where this JVM's {@link VxlanEndpoint} listens) and the dom0. The bridge's
 * VXLAN port is made by running the shipped dom0 script in the dom0 namespace, as an admin would. VM 2 of the group
 * runs nowhere here: its MAC only gives the broadcast test a sender.
 *
 * <p>Needs root, bridges, VXLAN and bash (the guests send with its {@code /dev/udp}); skipped with one line without
 * them, a failure with {@code CI=true}. Every namespace and link has this run's suffix and is removed after each test.
 */
public class RemoteBridgedGuestNicsTest {

  private static final Map<Integer, Long> MACS = Map.of(
      0, 0x0200_0079_0000L, 1, 0x0200_0079_0001L, 2, 0x0200_0079_0002L);
  /** A VM of another group on the same dom0's bridge. */
  private static final long OTHER_GROUPS_MAC = 0x0200_0079_0005L;
  private static final int VNI = 7342;
  private static final String SUFFIX = Long.toString(ProcessHandle.current().pid() % 100_000);
  private static final String DOM0 = "vqxns" + SUFFIX + "d";
  private static final String[] GUEST_NS = {"vqxns" + SUFFIX + "a", "vqxns" + SUFFIX + "b"};
  private static final String[] VIF = {"vif1.0", "vif2.0"};
  /** The root namespace's end of the link to the dom0. */
  private static final String UPLINK = "vqxm" + SUFFIX;
  private static final String BRIDGE = "xapi0";
  private static final String NET = "10.79.0.";
  private static final NamespaceGuests GUESTS = new NamespaceGuests(NET, GUEST_NS);
  /** The relay network's MTU: 1500 on the link to the dom0, less VXLAN's 50 bytes. */
  private static final int MTU = 1450;
  private static final Path SCRIPT = Path.of("..", "plugins", "vmqsc-xen", "dom0", "vmqsc-relay-port.sh")
      .toAbsolutePath().normalize();

  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private final RecordingUplink relay = new RecordingUplink();
  /** The management server's and the dom0's addresses on the link between them: a /30 of 198.18.0.0/15 per run. */
  private final String managementAddress = linkAddress(1), dom0Address = linkAddress(2);
  private VxlanEndpoint endpoint;
  private RemoteBridge bridge;
  private GuestNics nics;

  @BeforeClass public static void needsRootBridgesAndVxlan() {
    NamespaceGuests.runsHereOrSkips("RemoteBridgedGuestNicsTest", unavailableReason());
  }

  private static String unavailableReason() {
    if (!Files.isExecutable(Path.of("/bin/bash"))) return "no /bin/bash (the guests send with its /dev/udp)";
    try {
      if (!"0".equals(output("id", "-u").trim())) return "not root (the test makes namespaces, a bridge, VXLAN)";
      String probe = "vqxp" + SUFFIX;
      try {
        sh("ip", "link", "add", probe, "type", "bridge");
      } catch (IOException e) {
        return "no Linux bridge here: " + e.getMessage();
      } finally {
        quietly("ip", "link", "del", probe);
      }
      try {
        sh("ip", "link", "add", probe, "type", "vxlan", "id", "1", "dstport", "4789", "remote", "127.0.0.2",
            "local", "127.0.0.1");
      } catch (IOException e) {
        return "no VXLAN here: " + e.getMessage();
      } finally {
        quietly("ip", "link", "del", probe);
      }
      return null;
    } catch (IOException e) {
      return e.getMessage();
    }
  }

  @Before public void network() throws Exception {
    assertTrue("the dom0 script is in the repository at " + SCRIPT, Files.isRegularFile(SCRIPT));
    sh("ip", "netns", "add", DOM0);
    inDom0("sh", "-c", "for c in all default; do echo 1 > /proc/sys/net/ipv6/conf/$c/disable_ipv6; done");
    sh("ip", "link", "add", UPLINK, "type", "veth", "peer", "name", UPLINK + "u");
    // The dom0's end sends as a NIC on a wire does: with every checksum complete. A veth would hand its peer the
    // guests' UDP checksums unfinished (offloaded), the relay would carry them as they are, and B would drop them.
    txChecksumOff(UPLINK + "u");
    sh("ip", "link", "set", UPLINK + "u", "netns", DOM0);
    inDom0("ip", "link", "set", UPLINK + "u", "name", "up0");
    sh("ip", "addr", "add", managementAddress + "/30", "dev", UPLINK);
    sh("ip", "link", "set", UPLINK, "up");
    inDom0("ip", "addr", "add", dom0Address + "/30", "dev", "up0");
    inDom0("ip", "link", "set", "up0", "up");
    inDom0("ip", "link", "set", "lo", "up");
    inDom0("ip", "link", "add", BRIDGE, "type", "bridge");
    inDom0("ip", "link", "set", BRIDGE, "up");
    for (int vm = 0; vm < 2; vm++) {
      sh("ip", "netns", "add", GUEST_NS[vm]);
      GUESTS.in(vm, "sh", "-c", "for c in all default; do echo 1 > /proc/sys/net/ipv6/conf/$c/disable_ipv6; done");
      inDom0("ip", "link", "add", VIF[vm], "mtu", "" + MTU, "type", "veth", "peer", "name", "eth0", "mtu", "" + MTU,
          "netns", GUEST_NS[vm]);
      GUESTS.in(vm, "ip", "link", "set", "eth0", "address", Ethernet.formatMac(MACS.get(vm)));
      GUESTS.in(vm, "ip", "addr", "add", NET + (vm + 1) + "/24", "dev", "eth0");
      GUESTS.in(vm, "ip", "link", "set", "lo", "up");
      GUESTS.in(vm, "ip", "link", "set", "eth0", "up");
      inDom0("ip", "link", "set", VIF[vm], "master", BRIDGE);
      inDom0("ip", "link", "set", VIF[vm], "up");
    }
    // B knows A statically; A learns B's MAC by ARP, whose broadcast request goes through the relay too.
    GUESTS.in(1, "ip", "neigh", "add", NET + 1, "lladdr", Ethernet.formatMac(MACS.get(0)), "nud", "permanent",
        "dev", "eth0");
    endpoint = VxlanEndpoint.open(new InetSocketAddress(InetAddress.getByName(managementAddress), 0), VNI);
  }

  @After public void cleanUp() {
    relay.close();
    if (endpoint != null) endpoint.close();
    quietly("ip", "netns", "del", DOM0); // takes the bridge, the VXLAN port, the VIFs and the link's far end
    for (String ns : GUEST_NS) quietly("ip", "netns", "del", ns);
    quietly("ip", "link", "del", UPLINK);
  }

  /**
   * The dom0 registered with the endpoint, the admin's step in dom0 (the script), then the relay in the management
   * server ({@link RecordingUplink}: it records what is handed on and, while forwarding, delivers it).
   */
  private void serve() throws Exception {
    bridge = endpoint.register(InetAddress.getByName(dom0Address));
    String out = script("--bridge", BRIDGE, "--remote", managementAddress, "--vni", "" + VNI,
        "--port", "" + endpoint.address().getPort());
    assertTrue(out, out.contains("OK: " + BRIDGE));
    String vxlan = "vmqscvx" + VNI;
    assertEquals("0", inDom0Read("/sys/class/net/" + vxlan + "/brport/isolated"));
    assertEquals("0", inDom0Read("/sys/class/net/" + vxlan + "/brport/learning"));
    assertEquals("" + MTU, inDom0Read("/sys/class/net/" + vxlan + "/mtu"));
    for (String vif : VIF) {
      assertEquals(vif + " isolated", "1", inDom0Read("/sys/class/net/" + vif + "/brport/isolated"));
      assertEquals(vif + " learns nothing", "0", inDom0Read("/sys/class/net/" + vif + "/brport/learning"));
    }
    nics = relay.serve("g", MACS);
    nics.attachRemoteBridge(0, bridge);
    nics.attachRemoteBridge(1, bridge);
  }

  @Test public void guestsOnTheDom0sBridgeReachEachOtherOnlyThroughTheRelay() throws Exception {
    assertTrue("the test's bridge carries A's datagram to B before the relay port is set up", GUESTS.reaches(0, 1));
    GUESTS.in(0, "ip", "neigh", "flush", "dev", "eth0", "to", NET + 2);

    serve();
    assertTrue("A's datagram reaches B through the relay: " + handed() + " " + nics.counts() + " "
        + endpoint.counts(), GUESTS.reaches(0, 1));
    List<Handed> seen = handed();
    assertTrue("A's ARP request went to B through the relay: " + seen,
        seen.stream().anyMatch(h -> h.from() == 0 && h.to() == 1 && etherType(h.frame()) == 0x0806));
    assertTrue("B's ARP reply went to A through the relay: " + seen,
        seen.stream().anyMatch(h -> h.from() == 1 && h.to() == 0 && etherType(h.frame()) == 0x0806));
    assertTrue("A's datagram went to B through the relay: " + seen,
        seen.stream().anyMatch(h -> h.from() == 0 && h.to() == 1 && isUdp(h.frame())));
    for (Handed h : seen) {
      assertEquals("each frame is from the VM whose MAC it carries: " + h, MACS.get(h.from()).longValue(),
          Ethernet.source(h.frame()));
    }
    assertTrue("the relay's frames went to the dom0: " + endpoint.counts(), endpoint.counts().sent() >= 3);

    relay.forward = false;
    assertFalse("with the relay not forwarding, the dom0's bridge does not carry A's datagram", GUESTS.reaches(0, 1));
    nics.close();
    assertFalse("with the relay gone, the dom0's bridge does not carry A's datagram", GUESTS.reaches(0, 1));
    endpoint.close();
    assertFalse("with the endpoint closed, the dom0's bridge does not carry A's datagram", GUESTS.reaches(0, 1));
  }

  @Test public void aFrameWithASpoofedSourceMacIsCountedAndDropped() throws Exception {
    serve();
    knowsB(0);
    assertTrue(GUESTS.reaches(0, 1));
    long unclaimed = endpoint.counts().unclaimedSource();
    int before = handed().size();
    takeMac(0, 0x0200_0079_0099L);
    assertFalse("A's datagram under another MAC does not reach B", GUESTS.reaches(0, 1));
    assertTrue("counted: " + endpoint.counts(), endpoint.counts().unclaimedSource() > unclaimed);
    assertEquals("nothing handed on: " + handed(), before, handed().size());

    // B's own MAC from A's VIF: the relay cannot tell it from B's own frames (as on a bridge on the host); it reaches
    // the switch as B's, which sends no frame back to its sender.
    takeMac(0, MACS.get(1));
    GUESTS.send(0, 2, "as-b");
    await(() -> nics.counts().unknownDestination() > 0, () -> nics.counts() + " " + handedNow());
  }

  /** Guest {@code vm}'s NIC takes another MAC (which forgets its neighbours: it is told B's again). */
  private static void takeMac(int vm, long mac) throws IOException {
    GUESTS.in(vm, "ip", "link", "set", "eth0", "address", Ethernet.formatMac(mac));
    knowsB(vm);
  }

  @Test public void datagramsThatAreNotFramesOfTheDom0sBridgeAreCountedAndDropped() throws Exception {
    serve();
    int port = endpoint.address().getPort();
    String frameFromA = hex(frame(MACS.get(1), MACS.get(0), 60));
    // From the dom0's own address: a truncated VXLAN header, then a good header with another VNI.
    inDom0("bash", "-c", "printf '\\x08\\x00\\x00' > /dev/udp/" + managementAddress + "/" + port);
    await(() -> endpoint.counts().malformed() == 1, () -> "" + endpoint.counts());
    inDom0("bash", "-c", "printf '" + hex(vxlanHeader(VNI + 1)) + frameFromA + "' > /dev/udp/" + managementAddress
        + "/" + port);
    await(() -> endpoint.counts().otherVni() == 1, () -> "" + endpoint.counts());
    // A good datagram from an address that is no registered dom0 (the management server's own).
    try (DatagramChannel stranger = DatagramChannel.open()) {
      stranger.bind(new InetSocketAddress(InetAddress.getByName(managementAddress), 0));
      byte[] datagram = (new String(vxlanHeader(VNI), StandardCharsets.ISO_8859_1)
          + new String(frame(MACS.get(1), MACS.get(0), 60), StandardCharsets.ISO_8859_1))
          .getBytes(StandardCharsets.ISO_8859_1);
      stranger.send(ByteBuffer.wrap(datagram), endpoint.address());
      await(() -> endpoint.counts().unregisteredSender() == 1, () -> "" + endpoint.counts());
      // The same datagram from the dom0 is taken: the three above were dropped for what they were, not by chance.
      inDom0("bash", "-c", "printf '" + hex(datagram) + "' > /dev/udp/" + managementAddress + "/" + port);
      await(() -> handed().stream().anyMatch(h -> h.from() == 0 && h.to() == 1), () -> "" + endpoint.counts());
    }
    assertEquals(1, endpoint.counts().malformed());
    assertEquals(1, endpoint.counts().otherVni());
    assertEquals(1, endpoint.counts().unregisteredSender());
  }

  @Test public void aFrameForAVmOfAnotherGroupOnTheSameBridgeIsCountedNotSwitched() throws Exception {
    serve();
    List<Integer> toOtherGroup = new ArrayList<>();
    try (GuestNics other = new GuestNics("h", Map.of(5, OTHER_GROUPS_MAC), relay.runtime,
        (from, to, frame) -> toOtherGroup.add(to))) {
      other.attachRemoteBridge(5, bridge);
      try (GuestNics third = new GuestNics("i", Map.of(7, MACS.get(0)), relay.runtime, (from, to, frame) -> {})) {
        third.attachRemoteBridge(7, bridge);
        fail("a second group took VM 0's MAC on the same dom0's bridge");
      } catch (IllegalStateException expected) {
        assertTrue(expected.getMessage(), expected.getMessage().contains(Ethernet.formatMac(MACS.get(0))));
      }
      GUESTS.in(0, "ip", "neigh", "add", NET + 9, "lladdr", Ethernet.formatMac(OTHER_GROUPS_MAC), "nud", "permanent",
          "dev", "eth0");
      long unknown = nics.counts().unknownDestination();
      GUESTS.send(0, 9, "to-the-other-group");
      await(() -> nics.counts().unknownDestination() > unknown, () -> nics.counts() + " " + endpoint.counts());
      assertTrue("A's datagram reaches B still", GUESTS.reaches(0, 1));
      assertEquals("nothing of group g reached group h", List.of(),
          relay.runtime.submit(() -> List.copyOf(toOtherGroup)).get());
      assertEquals("group h's frames are its own: none of A's is counted there", 0, other.counts().fromGuests());
    }
  }

  @Test public void aBroadcastCopyForOneVmReachesThatVmOnly() throws Exception {
    serve();
    // VM 2 broadcasts a UDP datagram to the subnet; the relay hands B its copy. A guest with no socket on the port
    // counts a broadcast datagram as IgnoredMulti; a frame for another MAC it drops before that.
    byte[] broadcast = udpBroadcast(MACS.get(2), NET + 3, NET + 255);
    byte[] copy = broadcast.clone();
    long aBefore = GUESTS.snmp(0, "Udp", "IgnoredMulti"), bBefore = GUESTS.snmp(1, "Udp", "IgnoredMulti");
    assertTrue(relay.runtime.submit(() -> nics.toGuest(1, broadcast)).get());
    assertArrayEquals("the caller's frame is left as it was", copy, broadcast);
    await(() -> GUESTS.snmp(1, "Udp", "IgnoredMulti") > bBefore, () -> "B took nothing: " + endpoint.counts());
    // Let a wrongly flooded copy reach A if there were one (A's counter is read after B's moved, and a while later).
    Thread.sleep(200);
    assertEquals("B took its copy once", bBefore + 1, GUESTS.snmp(1, "Udp", "IgnoredMulti"));
    assertEquals("A did not take B's copy", aBefore, GUESTS.snmp(0, "Udp", "IgnoredMulti"));
  }

  @Test public void aCutOnTheRuntimeThreadHandsOnEveryFrameTheGuestSentBeforeIt() throws Exception {
    relay.forward = false;
    serve();
    knowsB(0);
    int n = 20;
    List<String> sent = relay.numbersHandedByACut(GUESTS, 0, 0, 1, NET + "2", n);
    List<String> expected = new ArrayList<>();
    for (int i = 1; i <= n; i++) expected.add(Integer.toString(i));
    assertEquals("every datagram A sent before the cut, in order", expected, sent);
  }

  @Test public void theScriptsCheckFindsAPortNotIsolatedAndTheHotplugHookIsolatesALaterVif() throws Exception {
    serve();
    assertTrue(script("--check").contains("OK: " + BRIDGE));

    inDom0("sh", "-c", "echo 0 > /sys/class/net/" + VIF[0] + "/brport/isolated");
    ScriptRun check = run("--check", "--bridge", BRIDGE);
    assertEquals(check.out, 1, check.status);
    assertTrue(check.out, check.out.contains("port " + VIF[0] + " of " + BRIDGE + " is not isolated"));
    script("--bridge", BRIDGE, "--remote", managementAddress, "--vni", "" + VNI,
        "--port", "" + endpoint.address().getPort());
    assertEquals("running the set-up again isolates it", "1", inDom0Read("/sys/class/net/" + VIF[0]
        + "/brport/isolated"));

    // A VIF plugged later: XAPI adds it to the bridge, then runs its hotplug hook (no XAPI here: the test runs the
    // hook the script installed, with the arguments XAPI's vif script gives it).
    inDom0("ip", "link", "add", "vif3.0", "type", "veth", "peer", "name", "vif3.0-peer");
    inDom0("ip", "link", "set", "vif3.0", "master", BRIDGE);
    inDom0("ip", "link", "set", "vif3.0", "up");
    check = run("--check");
    assertEquals(check.out, 1, check.status);
    assertTrue(check.out, check.out.contains("port vif3.0 of " + BRIDGE + " is not isolated"));
    assertTrue(check.out, check.out.contains("port vif3.0 of " + BRIDGE + " learns"));
    assertTrue(check.out, check.out.contains("port vif3.0 of " + BRIDGE + " has MTU 1500, more than the VXLAN "
        + "port's " + MTU));
    inDom0("ip", "link", "set", "vif3.0", "mtu", "" + MTU);
    Path hook = hookPath();
    assertTrue("the hook is installed: " + hook, Files.isExecutable(hook));
    inDom0(hook.toString(), "-action", "online", "-vifuuid", "1b6c2a9e-0000-4000-8000-000000000003",
        "-vmuuid", "5e1f7d2c-0000-4000-8000-000000000003");
    assertEquals("1", inDom0Read("/sys/class/net/vif3.0/brport/isolated"));
    assertEquals("0", inDom0Read("/sys/class/net/vif3.0/brport/learning"));
    assertTrue(script("--check").contains("OK: " + BRIDGE));
  }

  @Test public void theScriptRefusesWhatCannotCarryTheRelayPort() throws Exception {
    String[] setUp = {"--bridge", BRIDGE, "--remote", managementAddress, "--vni", "" + VNI};
    Path ovs = tmp.newFile("network.conf").toPath();
    Files.writeString(ovs, "openvswitch\n");
    ScriptRun run = run(Map.of("VMQSC_XEN_NETWORK_CONF", ovs.toString()), setUp);
    assertEquals(run.out, 2, run.status);
    assertTrue(run.out, run.out.contains("Open vSwitch") && run.out.contains("xe-switch-network-backend bridge"));

    run = run("--bridge", "up0", "--remote", managementAddress, "--vni", "" + VNI);
    assertEquals(run.out, 2, run.status);
    assertTrue(run.out, run.out.contains("up0 is not a Linux bridge"));
    run = run("--bridge", BRIDGE, "--remote", managementAddress, "--vni", "16777216");
    assertEquals(run.out, 2, run.status);
    assertTrue(run.out, run.out.contains("VNI"));

    Path foreignHook = hookPath();
    Files.createDirectories(foreignHook.getParent());
    Files.writeString(foreignHook, "#!/bin/sh\nlogger an admin's own hook\n");
    run = run(setUp);
    assertEquals(run.out, 2, run.status);
    assertTrue(run.out, run.out.contains(foreignHook + " exists and is not vmqsc's"));
    assertEquals("an admin's hook is left as it was", "#!/bin/sh\nlogger an admin's own hook\n",
        Files.readString(foreignHook));
    assertFalse("nothing was made", inDom0Output("ip", "-br", "link").contains("vmqscvx"));
  }

  // ---- the script ---------------------------------------------------------------------------------------------

  private record ScriptRun(int status, String out) {}

  private Path hookPath() {
    return tmp.getRoot().toPath().resolve("xapi.d").resolve("vif-hotplug");
  }

  /** Runs the dom0 script in the dom0 with its settings and hook under the test's folder; it must succeed. */
  private String script(String... args) throws Exception {
    ScriptRun run = run(args);
    if (run.status != 0) throw new AssertionError("the script failed (" + run.status + "): " + run.out);
    return run.out;
  }

  private ScriptRun run(String... args) throws Exception {
    return run(Map.of(), args);
  }

  private ScriptRun run(Map<String, String> env, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", DOM0, "sh", SCRIPT.toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    Map<String, String> environment = new HashMap<>(Map.of(
        "VMQSC_RELAY_STATE_DIR", tmp.getRoot().toPath().resolve("relay-port").toString(),
        "VMQSC_VIF_HOOK", hookPath().toString(),
        "VMQSC_XEN_NETWORK_CONF", tmp.getRoot().toPath().resolve("no-network.conf").toString()));
    environment.putAll(env);
    pb.environment().putAll(environment);
    Process p = pb.start();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("the script did not end in 30 s");
    }
    return new ScriptRun(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
  }

  // ---- frames -------------------------------------------------------------------------------------------------

  private static byte[] vxlanHeader(int vni) {
    return new byte[] {0x08, 0, 0, 0, (byte) (vni >> 16), (byte) (vni >> 8), (byte) vni, 0};
  }

  private static byte[] frame(long to, long from, int length) {
    byte[] f = new byte[length];
    for (int i = 0; i < 6; i++) {
      f[i] = (byte) (to >> (40 - 8 * i));
      f[6 + i] = (byte) (from >> (40 - 8 * i));
    }
    f[12] = (byte) 0x88; // a local experimental EtherType: no guest stack takes it
    f[13] = (byte) 0xB5;
    return f;
  }

  /** Bytes as printf escapes. */
  private static String hex(byte[] bytes) {
    StringBuilder s = new StringBuilder();
    for (byte b : bytes) s.append(String.format("\\x%02x", b & 0xff));
    return s.toString();
  }

  // ---- the guests ---------------------------------------------------------------------------------------------

  /** Guest {@code vm} knows B's MAC without asking (no ARP through the relay first). */
  private static void knowsB(int vm) throws IOException {
    GUESTS.in(vm, "ip", "neigh", "replace", NET + 2, "lladdr", Ethernet.formatMac(MACS.get(1)), "nud", "permanent",
        "dev", "eth0");
  }

  private String handedNow() {
    try {
      return handed().toString();
    } catch (Exception e) {
      return e.toString();
    }
  }

  private List<Handed> handed() throws Exception {
    return relay.handed();
  }

  private interface Check {
    boolean holds() throws Exception;
  }

  private static void await(Check condition, Supplier<String> what) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!condition.holds()) {
      if (System.nanoTime() > deadline) fail("not reached in 5 s: " + what.get());
      Thread.sleep(10);
    }
  }

  // ---- the network --------------------------------------------------------------------------------------------

  /** Host {@code host} (1 or 2) of this run's /30 in 198.18.0.0/15 (benchmarking addresses, routed nowhere). */
  private static String linkAddress(int host) {
    long base = (ProcessHandle.current().pid() % 32_768) * 4;
    return "198." + (18 + base / 65_536) + "." + (base / 256 % 256) + "." + (base % 256 + host);
  }

  private interface LibC extends Library {
    LibC INSTANCE = Native.load("c", LibC.class);

    int socket(int domain, int type, int protocol) throws LastErrorException;

    int ioctl(int fd, long request, Memory arg) throws LastErrorException;

    int close(int fd) throws LastErrorException;
  }

  /** {@code ethtool -K device tx off}, with no ethtool: the legacy SIOCETHTOOL request ETHTOOL_STXCSUM. */
  private static void txChecksumOff(String device) {
    final int afInet = 2, sockDgram = 2, ethtoolSetTxChecksum = 0x17;
    final long siocEthtool = 0x8946;
    int fd = LibC.INSTANCE.socket(afInet, sockDgram, 0);
    try (Memory value = new Memory(8); Memory ifreq = new Memory(40)) {
      value.setInt(0, ethtoolSetTxChecksum);
      value.setInt(4, 0);
      ifreq.clear();
      byte[] name = device.getBytes(StandardCharsets.US_ASCII);
      ifreq.write(0, name, 0, name.length);
      ifreq.setPointer(16, value);
      LibC.INSTANCE.ioctl(fd, siocEthtool, ifreq);
    } finally {
      LibC.INSTANCE.close(fd);
    }
  }

  private static void inDom0(String... command) throws IOException {
    List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", DOM0));
    c.addAll(List.of(command));
    sh(c.toArray(String[]::new));
  }

  private static String inDom0Output(String... command) throws IOException {
    List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", DOM0));
    c.addAll(List.of(command));
    return output(c.toArray(String[]::new));
  }

  /** A sysfs or procfs file as the dom0 sees it (`ip netns exec` mounts the namespace's own /sys). */
  private static String inDom0Read(String path) throws IOException {
    return inDom0Output("cat", path).trim();
  }
}
