package org.vmqsc.plugin.xen;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.vmqsc.agent.net.Ethernet;
import org.vmqsc.agent.sim.SimulatorDriver;
import org.vmqsc.agent.wire.WireMessages.Deploy;
import org.vmqsc.agent.wire.WireMessages.GuestProfile;
import org.vmqsc.agent.wire.WireMessages.Member;
import org.vmqsc.plugin.command.DeployGroupCommand;
import org.vmqsc.plugin.host.HostAgent;
import org.vmqsc.plugin.host.HostStorage;
import org.vmqsc.plugin.host.TestClock;
import org.vmqsc.plugin.host.TestHost;
import org.vmqsc.plugin.host.TwoVmGroup;
import org.vmqsc.protocol.GroupConfig;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.VmClass;

/**
 * One management server holds Xen hosts of several clusters: each host's agent opens its stores with the settings
 * the deployments to that host carried, not those of whichever host was deployed to last; and it carries the host's
 * guests' traffic when the deployment says how its relay reaches the dom0.
 */
public class XenHostAgentsTest {

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @After public void forget() {
    XenHostAgents.install(null);
  }

  @Test public void eachXenHostStagesWhereItsOwnClustersSettingsSay() throws Exception {
    XenHostAgents.install(null);
    Path stagingA = tmp.newFolder("cluster-a").toPath(), stagingB = tmp.newFolder("cluster-b").toPath();
    Path stable = tmp.newFolder("stable").toPath();
    XenHostAgents.configure("xen-host-a", new HostStorage(stagingA, stable, 1_000_000));
    XenHostAgents.configure("xen-host-b", new HostStorage(stagingB, stable, 1_000_000));

    // The pool is never called: opening an agent opens its stores only.
    try (HostAgent a = XenHostAgents.forHost("xen-host-a", () -> {
      throw new AssertionError("no XAPI call expected");
    })) {
      assertTrue(Files.isDirectory(stagingA.resolve("xen-host-a").resolve("checkpoints")));
      assertFalse(Files.exists(stagingB.resolve("xen-host-a")));
    }
    try (HostAgent b = XenHostAgents.forHost("xen-host-b", () -> {
      throw new AssertionError("no XAPI call expected");
    })) {
      assertTrue(Files.isDirectory(stagingB.resolve("xen-host-b").resolve("checkpoints")));
      assertFalse(Files.exists(stagingA.resolve("xen-host-b")));
    }
  }

  /**
   * A Xen host's two guests talk through the relay this management server runs for the host: a frame that leaves
   * VM 0's VIF reaches the relay bridge's VXLAN port in the dom0 (here a socket on 127.0.0.2 standing for it), the
   * management server's VXLAN endpoint, the group's switch, VM 1's receive log, and goes back to the dom0 addressed
   * to VM 1. The node runs over the simulator's guests; the endpoint, the switch and the tunnel are real.
   */
  @Test public void aXenHostsGuestsTalkThroughTheRelayInTheManagementServer() throws Exception {
    String mac0 = "02:00:00:00:00:20", mac1 = "02:00:00:00:00:21";
    int vni = 7342;
    SimulatorDriver driver = new SimulatorDriver();
    driver.start(TwoVmGroup.VM0, 64, 0.5, 1);
    driver.start(TwoVmGroup.VM1, 64, 0.5, 2);
    TestClock clock = new TestClock(1_800_000_000_000L);
    XenHostAgents.install((uuid, connections) -> new TestHost(tmp.getRoot().toPath(), uuid, clock, driver, 1).agent);
    try (DatagramSocket dom0 = new DatagramSocket(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0))) {
      dom0.setSoTimeout(5000);
      InetSocketAddress endpoint = new InetSocketAddress(InetAddress.getLoopbackAddress(), dom0.getLocalPort());
      DeployGroupCommand command = new DeployGroupCommand("g", "xen-host-a", "{}")
          .withXenRelay("127.0.0.1:" + endpoint.getPort(), vni, "127.0.0.2");
      XenHostAgents.configure("xen-host-a", HostStorage.DEFAULTS, XenRelay.of(command));
      HostAgent agent = XenHostAgents.forHost("xen-host-a", () -> {
        throw new AssertionError("no XAPI call expected");
      });
      assertTrue(agent.carriesTraffic());
      String tunnel = "127.0.0.1:" + freePort();
      GroupConfig config = new GroupConfig(1000, List.of(VmClass.SI, VmClass.SI));
      agent.deploy("xen-host-a", tunnel, new Deploy(TwoVmGroup.GROUP, config, clock.millis(),
          List.of(new Member(0, TwoVmGroup.VM0, "xen-host-a", tunnel, mac0),
              new Member(1, TwoVmGroup.VM1, "xen-host-a", tunnel, mac1)),
          new GuestProfile(0, 0, 0, 0), List.of(0, 1)));

      byte[] frame = frame(mac1, mac0, "hello over the dom0's relay port");
      byte[] datagram = ByteBuffer.allocate(8 + frame.length).put((byte) 0x08).put(new byte[3])
          .putInt(vni << 8).put(frame).array();
      dom0.send(new DatagramPacket(datagram, datagram.length, endpoint));

      byte[] buf = new byte[2048];
      DatagramPacket back = new DatagramPacket(buf, buf.length);
      dom0.receive(back);
      assertEquals("a VXLAN datagram of the relay network's VNI", vni, ByteBuffer.wrap(buf, 4, 4).getInt() >>> 8);
      assertArrayEquals("the frame, for VM 1's MAC on the dom0's bridge", frame,
          Arrays.copyOfRange(buf, 8, back.getLength()));
      List<LogEntry> log = agent.snapshot(TwoVmGroup.GROUP).receiveLogs().getOrDefault(1, List.of());
      assertEquals("VM 1 received one message of the protocol, from VM 0", 1, log.size());
      assertEquals(0, log.get(0).message().from());
    } finally {
      XenHostAgents.install(null);
      driver.close();
    }
  }

  private static byte[] frame(String to, String from, String text) {
    byte[] body = text.getBytes();
    ByteBuffer frame = ByteBuffer.allocate(Math.max(60, 14 + body.length));
    putMac(frame, to);
    putMac(frame, from);
    frame.putShort((short) 0x88B5);
    frame.put(body);
    return frame.array();
  }

  private static void putMac(ByteBuffer b, String mac) {
    long m = Ethernet.parseMac(mac);
    for (int i = 5; i >= 0; i--) b.put((byte) (m >>> (8 * i)));
  }

  private static int freePort() throws java.io.IOException {
    try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
