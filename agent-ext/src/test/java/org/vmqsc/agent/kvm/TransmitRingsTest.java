package org.vmqsc.agent.kvm;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.util.List;
import org.junit.After;
import org.junit.Assume;
import org.junit.BeforeClass;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.libvirt.Connect;
import org.libvirt.Domain;

/**
 * A cut's pause leaves nothing the guest has sent inside its NIC: every message the guest's program had sent (and
 * printed) when {@link KvmDriver#pause} returns has left QEMU, so the relay, which takes what reached its socket,
 * stamps it with the index it was sent in. A real lab guest sends 200 messages a second to a socket of the test;
 * the test pauses it 80 times at random moments, each time also plainly (a stop alone), to show how often frames
 * wait in the ring at a stop.
 */
public class TransmitRingsTest {

  /** Pauses of each kind: frames wait in the ring at a few percent of stops on a quiet machine. */
  private static final int PAUSES = 80;

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private Connect connect;
  private LabGuest guest;
  private DatagramSocket sink;
  private KvmDriver driver;
  private long received;

  @BeforeClass public static void needsAMessagingLabGuest() {
    String reason = LabGuest.messagingUnavailableReason().orElse(null);
    if (reason != null && "true".equals(System.getenv("CI"))) {
      throw new AssertionError("TransmitRingsTest cannot run (CI=true, so this fails instead of skipping): " + reason);
    }
    Assume.assumeTrue("skipped: " + reason, reason == null);
  }

  @After public void cleanUp() throws Exception {
    if (driver != null) driver.close();
    if (guest != null) guest.close();
    if (sink != null) sink.close();
    if (connect != null) connect.close();
  }

  @Test public void aPauseForACutLeavesNoSentFrameInsideTheNic() throws Exception {
    connect = LabGuest.connect();
    sink = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    String name = "vmqsc-tx-" + ProcessHandle.current().pid();
    int local;
    try (DatagramSocket probe = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
      local = probe.getLocalPort();
    }
    guest = LabGuest.start(connect, new LabGuest.Spec(name, 128, 4, 64, 1.0)
        .withNic(LabGuest.Nic.forIndex(0, local, sink.getLocalPort()))
        .withMessaging(new LabGuest.Messaging(0, 2, 200)));
    long deadline = System.currentTimeMillis() + 90_000;
    while (guest.sends().size() < 20 && System.currentTimeMillis() < deadline) Thread.sleep(200);
    assertTrue("the guest sends", guest.sends().size() >= 20);

    Domain domain = connect.domainLookupByName(name);
    List<String> devices = TransmitRings.netDevices(domain);
    assertEquals("one virtio-net device: " + devices, 1, devices.size());
    driver = new KvmDriver(LabGuest.connect(), tmp.newFolder("scratch").toPath());  // it closes its own connection
    java.util.Random random = new java.util.Random(7);
    int waitingAtAPlainStop = 0;
    for (int i = 0; i < PAUSES; i++) {
      domain.suspend();
      int waiting = TransmitRings.pending(domain, devices);
      assertNotEquals("the transmit ring can be read", TransmitRings.UNKNOWN, waiting);
      if (waiting > 0) waitingAtAPlainStop++;
      domain.resume();
      Thread.sleep(5 + random.nextInt(40));

      driver.pause(name);
      assertEquals("nothing waits in the ring once the cut's pause returns", 0, TransmitRings.pending(domain, devices));
      drainSink();
      int printed = guest.sends().size();
      assertTrue("every send the guest printed before its pause left its NIC: " + received + " frames, " + printed
          + " sends", received >= printed);
      driver.resume(name);
      Thread.sleep(5 + random.nextInt(40));
    }
    long[] flush = driver.transmitFlushCounts();
    System.out.printf("TransmitRingsTest: frames waited in the ring at %d of %d plain stops; the cut's pause found"
        + " some at %d of %d and left some at %d%n", waitingAtAPlainStop, PAUSES, flush[0], PAUSES, flush[1]);
    assertEquals("no pause was left with frames in the ring", 0, flush[1]);
  }

  /** Counts every frame that has reached the sink. */
  private void drainSink() throws Exception {
    byte[] buf = new byte[2048];
    sink.setSoTimeout(20);
    while (true) {
      try {
        sink.receive(new DatagramPacket(buf, buf.length));
        received++;
      } catch (SocketTimeoutException e) {
        return;
      }
    }
  }
}
