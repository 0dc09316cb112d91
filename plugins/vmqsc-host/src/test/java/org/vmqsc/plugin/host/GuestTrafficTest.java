package org.vmqsc.plugin.host;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.vmqsc.agent.net.Ethernet;
import org.vmqsc.agent.sim.SimulatorDriver;
import org.vmqsc.agent.wire.WireMessages.Deploy;
import org.vmqsc.agent.wire.WireMessages.GuestProfile;
import org.vmqsc.agent.wire.WireMessages.Member;
import org.vmqsc.agent.wire.WireMessages.Report;
import org.vmqsc.protocol.GroupConfig;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.VmClass;

/**
 * Two hosts' agents in one process carry their guests' frames as the protocol's messages: each guest is a UDP
 * socket standing for its NIC (the relay's UDP port of a NIC; on a KVM host it is a bridge's port), the hosts'
 * tunnels run on loopback, checkpoints are real (the simulator's memory, the engine, the stores).
 */
public class GuestTrafficTest {

  private static final String GROUP = "6f1c2a4e-0000-4000-8000-0000000000b2";
  private static final String VM0 = TwoVmGroup.VM0, VM1 = TwoVmGroup.VM1;
  private static final String MAC0 = "02:00:00:00:00:10", MAC1 = "02:00:00:00:00:11";
  private static final long EPOCH = 1_800_000_000_000L;

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private final TestClock clock = new TestClock(EPOCH);
  private final SimulatorDriver driverA = new SimulatorDriver(), driverB = new SimulatorDriver();
  private final FakeGuest guest0 = new FakeGuest(MAC0), guest1 = new FakeGuest(MAC1);
  /** Per VM, whether its guest was paused when its NIC joined the group's switch. */
  private final Map<Integer, Boolean> pausedWhenJoined = new ConcurrentHashMap<>();
  private TestHost a, b;
  private String tunnelA, tunnelB;

  public GuestTrafficTest() throws IOException {}

  @Before public void twoHosts() throws IOException {
    driverA.start(VM0, 64, 0.5, 1);
    driverB.start(VM1, 64, 0.5, 2);
    a = new TestHost(tmp.getRoot().toPath(), "a", clock, driverA, 1);
    b = new TestHost(tmp.getRoot().toPath(), "b", clock, driverB, 1);
    tunnelA = "127.0.0.1:" + freePort();
    tunnelB = "127.0.0.1:" + freePort();
    // A VM's NIC is its guest's socket, on whichever host the VM runs.
    HostTraffic.NicPort nicOfVm = (nics, vm, uuid) -> {
      pausedWhenJoined.put(vm, (vm == 0 ? driverA : driverB).paused(uuid));
      (vm == 0 ? guest0 : guest1).plugInto(nics, vm, uuid);
    };
    a.agent.carrying(new HostTraffic(nicOfVm));
    b.agent.carrying(new HostTraffic(nicOfVm));
  }

  @After public void close() throws Exception {
    a.close();
    b.close();
    guest0.close();
    guest1.close();
  }

  private Deploy deploy(String mac1) {
    GroupConfig config = new GroupConfig(1000, List.of(VmClass.SI, VmClass.SI));
    return new Deploy(GROUP, config, EPOCH, List.of(new Member(0, VM0, "host-a", tunnelA, MAC0),
        new Member(1, VM1, "host-b", tunnelB, mac1)), new GuestProfile(0, 0, 0, 0), List.of(0, 1));
  }

  private void deployBoth(String mac1) {
    a.agent.deploy("host-a", deploy(mac1));
    b.agent.deploy("host-b", deploy(mac1));
  }

  @Test public void aGuestsFrameReachesTheGuestOnTheOtherHostAndIsLoggedThereWithItsSendersIndex() throws Exception {
    deployBoth(MAC1);
    byte[] sent = guest0.send(MAC1, "hello from VM 0");
    assertArrayEquals(sent, guest1.receive());

    List<LogEntry> log = receiveLog(b, 1);
    assertEquals(1, log.size());
    assertEquals(0, log.get(0).message().from());
    assertEquals(0, log.get(0).message().index()); // sent in VM 0's first interval
    assertEquals(sent.length, log.get(0).message().size());
  }

  @Test public void aGuestsNicJoinsTheRelayOnlyOnceItIsPausedForItsBootCheckpoint() throws Exception {
    // Frames it sent before went over its bridge unprotected; one caught by the relay before its boot checkpoint
    // could only be dropped (it was sent before the protocol ran the VM).
    deployBoth(MAC1);
    assertEquals(Map.of(0, true, 1, true), pausedWhenJoined);
    assertTrue(awaitCheckpoints(a) && awaitCheckpoints(b));
    assertFalse("VM 0 runs again after its boot checkpoint", driverA.paused(VM0));
    assertFalse("VM 1 runs again after its boot checkpoint", driverB.paused(VM1));
    byte[] sent = guest0.send(MAC1, "after the boot");
    assertArrayEquals(sent, guest1.receive());
  }

  @Test public void aBoundaryCutsTheGuestTakesItsCheckpointPausedAndRunsItAgain() throws Exception {
    deployBoth(MAC1);
    guest0.send(MAC1, "before the boundary");
    guest1.receive();
    clock.advance(1000);
    tick(b); // VM 1 at index 1 first: VM 0's next frame forces nothing
    List<Report> reports = tick(a);
    assertTrue(awaitCheckpoints(a));
    reports.addAll(tick(a));
    assertTrue("VM 0's checkpoint of index 1 is staged: " + reports, reports.stream().anyMatch(r ->
        r.boundary() != null && r.boundary().vm() == 0 && r.boundary().index() == 1 && r.boundary().isCheckpoint()));
    assertFalse("the guest runs again after its checkpoint", driverA.paused(VM0));

    guest0.send(MAC1, "after the boundary");
    guest1.receive();
    List<LogEntry> log = receiveLog(b, 1);
    assertEquals(List.of(0L, 1L), log.stream().map(e -> e.message().index()).toList());
  }

  @Test public void aFrameSentJustBeforeTheBoundaryCarriesTheIndexItWasSentIn() throws Exception {
    deployBoth(MAC1);
    clock.advance(1000);
    tick(b);
    for (int round = 0; round < 20; round++) {
      guest0.send(MAC1, "sent in interval " + round);
      List<Report> reports = tick(a); // the boundary comes while the frame may still be on its way to the relay
      assertTrue(awaitCheckpoints(a));
      clock.advance(1000);
      tick(b);
      guest1.receive();
    }
    List<LogEntry> log = receiveLog(b, 1);
    for (int round = 0; round < 20; round++) {
      assertEquals("frame " + round, round, log.get(round).message().index());
    }
  }

  @Test public void aGuestThatCannotBeCutLosesThatCheckpointRatherThanGetOneOfALaterInstant() throws Exception {
    deployBoth(MAC1);
    assertTrue(awaitCheckpoints(a)); // the boot checkpoint holds its own pause until it is taken
    driverA.pause(VM0); // someone else paused it: the cut's own pause is refused
    clock.advance(1000);
    List<Report> reports = tick(a);
    assertTrue(awaitCheckpoints(a));
    reports.addAll(tick(a));
    assertFalse("no checkpoint of index 1 was taken: " + reports, reports.stream().anyMatch(r ->
        r.boundary() != null && r.boundary().vm() == 0 && r.boundary().index() == 1));
    assertEquals(1, a.agent.failedCheckpoints());

    driverA.resume(VM0);
    clock.advance(1000);
    reports = tick(a);
    assertTrue(awaitCheckpoints(a));
    reports.addAll(tick(a));
    assertTrue("the next boundary's cut works again: " + reports, reports.stream().anyMatch(r ->
        r.boundary() != null && r.boundary().vm() == 0 && r.boundary().index() == 2 && r.boundary().isCheckpoint()));
  }

  @Test public void aFrameWithAHigherIndexForcesItsReceiversCheckpointBeforeItIsDelivered() throws Exception {
    deployBoth(MAC1);
    clock.advance(1000);
    tick(a); // VM 0 at index 1, VM 1 still at 0: B has not passed the boundary
    assertTrue(awaitCheckpoints(a));
    guest0.send(MAC1, "from index 1");
    guest1.receive();
    assertTrue(awaitCheckpoints(b));
    List<Report> reports = tick(b);
    assertTrue("VM 1's forced checkpoint of index 1: " + reports, reports.stream().anyMatch(r ->
        r.boundary() != null && r.boundary().vm() == 1 && r.boundary().index() == 1 && r.boundary().isCheckpoint()));
    assertFalse(driverB.paused(VM1));
    LogEntry entry = receiveLog(b, 1).get(0);
    assertEquals(1, entry.receiverIndex()); // received after the forced checkpoint, in VM 1's interval 1
  }

  @Test public void aFrozenGroupsGuestsArePausedAndFramesForThemWaitUntilItThaws() throws Exception {
    deployBoth(MAC1);
    b.agent.freeze(GROUP);
    assertTrue("a recovery holds the guest still", driverB.paused(VM1));
    guest0.send(MAC1, "during the recovery");
    assertNull("nothing reaches a held guest", guest1.receiveWithin(300));
    assertTrue(b.agent.snapshot(GROUP).receiveLogs().getOrDefault(1, List.of()).isEmpty());

    b.agent.thaw(GROUP);
    assertFalse(driverB.paused(VM1));
    assertNotNull("the frame that waited goes in", guest1.receiveWithin(5000));
    assertEquals(1, receiveLog(b, 1).size());
  }

  @Test public void aFrameForAVmItsHostHasNotBootedYetWaitsForTheBoot() throws Exception {
    Deploy noBoot = new Deploy(GROUP, deploy(MAC1).config(), EPOCH, deploy(MAC1).members(), new GuestProfile(0, 0, 0, 0),
        List.of());
    b.agent.deploy("host-b", noBoot);  // a group starts: every host takes it, then each boots its VMs
    a.agent.deploy("host-a", deploy(MAC1));
    guest0.send(MAC1, "before VM 1 booted");
    Thread.sleep(300);  // it reached host b, which does not run VM 1 yet
    assertTrue(b.agent.snapshot(GROUP).receiveLogs().getOrDefault(1, List.of()).isEmpty());
    b.agent.deploy("host-b", deploy(MAC1));
    byte[] got = guest1.receive();
    assertTrue(new String(got, 14, got.length - 14).startsWith("before VM 1 booted"));
    assertEquals(1, receiveLog(b, 1).size());
  }

  @Test public void aRestoredGuestRunsAgainAndItsFramesAreCarried() throws Exception {
    deployBoth(MAC1);
    for (int i = 0; i < 3; i++) {
      guest1.send(MAC0, "to VM 0, " + i);
      guest0.receive();
    }
    clock.advance(1000);
    List<Report> reports = tick(a);
    assertTrue(awaitCheckpoints(a));
    reports.addAll(tick(a));
    org.vmqsc.protocol.BoundaryRecord atOne = reports.stream().map(Report::boundary)
        .filter(r -> r != null && r.vm() == 0 && r.index() == 1 && r.isCheckpoint()).findFirst().orElseThrow();
    assertEquals("three messages handed to it", 3, atOne.position());

    a.agent.restore(new org.vmqsc.agent.wire.WireMessages.RestoreOrder(GROUP,
        new org.vmqsc.protocol.recovery.VmRestore(0, 1, atOne, List.of(), atOne, List.of()),
        VM0 + "/" + GROUP + "-0-1", List.of()));
    assertFalse("no recovery holds the group: the restored guest runs", driverA.paused(VM0));
    guest0.send(MAC1, "from the restored VM 0");
    byte[] got = guest1.receive(); // its sends go on from its checkpoint's position: none is taken for a replay
    assertTrue(new String(got, 14, got.length - 14).startsWith("from the restored VM 0"));
  }

  @Test public void aLiveMigrationLosesNoFrameSentOrDueAtItsTarget() throws Exception {
    deployBoth(MAC1);
    guest0.send(MAC1, "before the migration");
    guest1.receive();
    // The migration starts: its target expects the VM (its NIC joins the target's switch) before the guest moves.
    b.agent.placement(new org.vmqsc.agent.wire.WireMessages.PlacementOrder(GROUP, 0, tunnelB));
    driverB.start(VM0, 64, 0.5, 1); // the hypervisor moves the guest: it runs on host b now
    guest0.send(MAC1, "sent on the target before the hand-off");
    guest1.send(MAC0, "due on the target before the hand-off");
    assertNull("nothing goes through before the hand-off", guest1.receiveWithin(300));
    assertNull(guest0.receiveWithin(100));

    // CloudStack records the migration: the protocol's state follows the VM (once its checkpoints are stable).
    org.vmqsc.agent.wire.WireMessages.Emigrated out = null;
    for (int attempt = 0; out == null; attempt++) {
      tick(a);
      try {
        out = a.agent.emigrate(new org.vmqsc.agent.wire.WireMessages.EmigrateOrder(GROUP, 0, "host-b"));
      } catch (org.vmqsc.agent.node.MigrationRefusedException notStableYet) {
        assertTrue("the source hands VM 0 out: " + notStableYet.getMessage(), attempt < 100);
        Thread.sleep(50);
      }
    }
    b.agent.immigrate(new org.vmqsc.agent.wire.WireMessages.ImmigrateOrder(GROUP, out.migration(), null));
    a.agent.placement(new org.vmqsc.agent.wire.WireMessages.PlacementOrder(GROUP, 0, tunnelB));

    byte[] sent = guest1.receive();
    assertTrue(new String(sent, 14, sent.length - 14).startsWith("sent on the target before the hand-off"));
    byte[] due = guest0.receive();
    assertTrue(new String(due, 14, due.length - 14).startsWith("due on the target before the hand-off"));
    guest0.send(MAC1, "after the hand-off");
    guest1.receive();
    assertEquals(3, receiveLog(b, 1).stream().filter(e -> e.message().from() == 0).count());
  }

  @Test public void aHostThatHearsNoTickForItsLeaseStopsItsVmsUntilTheManagerSpeaksAgain() throws Exception {
    a.agent.lease(Duration.ofSeconds(2));
    deployBoth(MAC1);
    clock.advance(1500);
    assertEquals("within its lease the host runs on", List.of(), a.agent.checkLeases());
    clock.advance(1000);
    assertEquals(List.of(GROUP), a.agent.checkLeases());
    assertTrue("its guest is stopped", driverA.paused(VM0));
    guest1.send(MAC0, "while host a is cut off");
    assertNull("nothing reaches a stopped guest", guest0.receiveWithin(300));

    tick(a); // the manager speaks again (and the boundaries passed meanwhile are cut and checkpointed)
    assertTrue(awaitCheckpoints(a));
    assertFalse(driverA.paused(VM0));
    assertNotNull("the frame that waited goes in", guest0.receiveWithin(5000));
  }

  @Test public void aFrameWithAnotherGuestsSourceMacIsDroppedAndNotLogged() throws Exception {
    deployBoth(MAC1);
    guest0.sendFrom(MAC1, MAC1, "spoofed"); // claims to be VM 1
    guest0.send(MAC1, "genuine");
    byte[] got = guest1.receive();
    assertTrue(new String(got, 14, got.length - 14).startsWith("genuine"));
    assertEquals(1, receiveLog(b, 1).size());
  }

  @Test public void aGroupWithAVmWithoutANicOnTheRelayNetworkCheckpointsAndCarriesNoFrame() throws Exception {
    deployBoth(null);
    assertNull("no port for the guest", guest0.relayEnd);
    clock.advance(1000);
    tick(a);
    assertTrue(awaitCheckpoints(a));
    List<Report> reports = tick(a);
    assertTrue(reports.stream().anyMatch(r -> r.boundary() != null && r.boundary().index() == 1));
  }

  // ---- helpers -------------------------------------------------------------------------------------------------

  private List<Report> tick(TestHost host) {
    return new ArrayList<>(host.agent.tick(GROUP).batch());
  }

  private static boolean awaitCheckpoints(TestHost host) {
    return host.agent.awaitCheckpoints(Duration.ofSeconds(20));
  }

  /** VM {@code vm}'s receive log on {@code host}, once a message is in it (frames cross threads). */
  private static List<LogEntry> receiveLog(TestHost host, int vm) throws InterruptedException {
    for (int i = 0; i < 200; i++) {
      List<LogEntry> log = host.agent.snapshot(GROUP).receiveLogs().getOrDefault(vm, List.of());
      if (!log.isEmpty()) return log;
      Thread.sleep(25);
    }
    return List.of();
  }

  private static int freePort() throws IOException {
    try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** A guest's NIC: Ethernet frames in UDP datagrams to and from its relay port (QEMU's UDP netdev does this). */
  private static final class FakeGuest implements AutoCloseable {
    final String mac;
    final DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress());
    volatile InetSocketAddress relayEnd;
    final Map<Integer, Boolean> plugged = new ConcurrentHashMap<>();

    FakeGuest(String mac) throws IOException {
      this.mac = mac;
      socket.setSoTimeout(5000);
    }

    void plugInto(org.vmqsc.agent.net.GuestNics nics, int vm, String vmUuid) throws IOException {
      relayEnd = nics.attach(vm, (InetSocketAddress) socket.getLocalSocketAddress());
      plugged.put(vm, true);
    }

    byte[] send(String to, String text) throws IOException {
      return sendFrom(mac, to, text);
    }

    byte[] sendFrom(String from, String to, String text) throws IOException {
      byte[] body = text.getBytes();
      ByteBuffer frame = ByteBuffer.allocate(Math.max(60, 14 + body.length));
      putMac(frame, to);
      putMac(frame, from);
      frame.putShort((short) 0x88B5); // an experimental EtherType: what the protocol carries does not matter
      frame.put(body);
      byte[] bytes = frame.array();
      assertNotNull("the guest's NIC is on the relay", relayEnd);
      socket.send(new DatagramPacket(bytes, bytes.length, relayEnd));
      return bytes;
    }

    byte[] receive() throws IOException {
      byte[] frame = receiveWithin(5000);
      if (frame == null) throw new AssertionError("no frame reached the guest with MAC " + mac);
      return frame;
    }

    /** The next frame for this guest, or null when none comes within {@code millis}. */
    byte[] receiveWithin(int millis) throws IOException {
      byte[] buf = new byte[2048];
      DatagramPacket p = new DatagramPacket(buf, buf.length);
      socket.setSoTimeout(millis);
      try {
        socket.receive(p);
      } catch (SocketTimeoutException e) {
        return null;
      }
      return java.util.Arrays.copyOf(buf, p.getLength());
    }

    private static void putMac(ByteBuffer b, String mac) {
      long m = Ethernet.parseMac(mac);
      for (int i = 5; i >= 0; i--) b.put((byte) (m >>> (8 * i)));
    }

    @Override public void close() {
      socket.close();
    }
  }
}
