package org.vmqsc.agent.net;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * The management server's VXLAN endpoint on loopback, with sockets standing for dom0s' VXLAN ports (127.0.0.2 is a
 * registered dom0, 127.0.0.3 is not): what it takes, what it drops and counts, what it sends. Datagrams are written
 * byte by byte here, from RFC 7348, not with the endpoint's own code. The whole path through a real bridge and a
 * kernel VXLAN port is {@code RemoteBridgedGuestNicsTest}.
 */
public class VxlanEndpointTest {

  private static final int VNI = 0x12_34_56;
  private static final long MAC_A = 0x0200_0078_0001L, MAC_B = 0x0200_0078_0002L;

  /** A receiver that records what it gets, on the endpoint's reader. */
  private static final class Recorder implements RemoteBridge.Receiver {
    final List<byte[]> frames = new ArrayList<>();
    int bursts;

    @Override public synchronized void frame(byte[] frame) {
      frames.add(frame);
    }

    @Override public synchronized void burstEnd() {
      bursts++;
    }

    synchronized List<byte[]> frames() {
      return List.copyOf(frames);
    }

    synchronized int bursts() {
      return bursts;
    }
  }

  private VxlanEndpoint endpoint;
  private DatagramChannel dom0, stranger;
  private RemoteBridge bridge;

  @Before public void open() throws Exception {
    endpoint = VxlanEndpoint.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), VNI);
    dom0 = DatagramChannel.open().bind(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0));
    stranger = DatagramChannel.open().bind(new InetSocketAddress(InetAddress.getByName("127.0.0.3"), 0));
    bridge = endpoint.register((InetSocketAddress) dom0.getLocalAddress());
  }

  @After public void close() throws Exception {
    endpoint.close();
    dom0.close();
    stranger.close();
  }

  @Test public void aFrameFromAClaimedMacReachesItsClaimantWithoutTheHeader() throws Exception {
    Recorder a = new Recorder(), b = new Recorder();
    bridge.claim(MAC_A, a);
    bridge.claim(MAC_B, b);
    byte[] fromA = frame(MAC_B, MAC_A, 60), fromB = frame(MAC_A, MAC_B, 100);
    send(dom0, datagram(0x08, VNI, fromA));
    send(dom0, datagram(0x08, VNI, fromB));
    await(() -> a.frames().size() == 1 && b.frames().size() == 1);
    assertArrayEquals(fromA, a.frames().get(0));
    assertArrayEquals(fromB, b.frames().get(0));
    await(() -> a.bursts() >= 1 && b.bursts() >= 1);
    assertEquals(new VxlanEndpoint.Counts(2, 0, 0, 0, 0, 0), endpoint.counts());
  }

  @Test public void framesReachTheirClaimantInTheOrderTheyWereSent() throws Exception {
    Recorder a = new Recorder();
    bridge.claim(MAC_A, a);
    for (int i = 0; i < 200; i++) {
      byte[] frame = frame(MAC_B, MAC_A, 64);
      frame[20] = (byte) i;
      send(dom0, datagram(0x08, VNI, frame));
    }
    await(() -> a.frames().size() == 200);
    for (int i = 0; i < 200; i++) assertEquals((byte) i, a.frames().get(i)[20]);
    await(() -> a.bursts() >= 1);
    assertTrue("a burst ends once, after its frames: " + a.bursts(), a.bursts() <= 200);
  }

  @Test public void reservedBitsAreIgnoredOnReceipt() throws Exception {
    Recorder a = new Recorder();
    bridge.claim(MAC_A, a);
    byte[] datagram = datagram(0xFF, VNI, frame(MAC_B, MAC_A, 60));
    datagram[1] = datagram[2] = datagram[3] = datagram[7] = (byte) 0xA5;
    send(dom0, datagram);
    await(() -> a.frames().size() == 1);
  }

  @Test public void whatIsNotAFrameOfTheDom0sBridgeIsCountedAndDropped() throws Exception {
    Recorder a = new Recorder();
    bridge.claim(MAC_A, a);
    byte[] good = datagram(0x08, VNI, frame(MAC_B, MAC_A, 60));

    send(stranger, good);
    send(dom0, new byte[] {0x08, 0, 0});                                           // a truncated header
    send(dom0, datagram(0x08, VNI, new byte[0]));                                  // a header, no frame
    send(dom0, datagram(0x08, VNI, new byte[Ethernet.HEADER_BYTES - 1]));          // less than an Ethernet header
    send(dom0, datagram(0x08, VNI, frame(MAC_B, MAC_A, Ethernet.MAX_FRAME_BYTES + 1))); // longer than any frame
    send(dom0, datagram(0x00, VNI, frame(MAC_B, MAC_A, 60)));                      // the VNI is not valid
    send(dom0, datagram(0x08, VNI + 1, frame(MAC_B, MAC_A, 60)));                  // another VNI
    send(dom0, datagram(0x08, VNI, frame(MAC_A, MAC_B, 60)));                      // from a MAC nobody claimed
    send(dom0, good);                                                              // and one that is taken

    await(() -> endpoint.counts().received() == 9);
    await(() -> a.frames().size() == 1);
    assertEquals(new VxlanEndpoint.Counts(9, 0, 1, 5, 1, 1), endpoint.counts());
    assertArrayEquals(frame(MAC_B, MAC_A, 60), a.frames().get(0));
  }

  @Test public void aFrameForTheDom0GoesBehindAVxlanHeaderWithTheEndpointsVni() throws Exception {
    byte[] frame = frame(MAC_A, MAC_B, 80);
    assertTrue(bridge.send(frame));
    ByteBuffer got = ByteBuffer.allocate(2048);
    dom0.configureBlocking(false);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    InetSocketAddress from;
    while ((from = (InetSocketAddress) dom0.receive(got)) == null) {
      if (System.nanoTime() > deadline) fail("the dom0 received nothing");
      Thread.sleep(5);
    }
    got.flip();
    assertEquals(endpoint.address(), from);
    byte[] datagram = new byte[got.remaining()];
    got.get(datagram);
    assertArrayEquals(datagram(0x08, VNI, frame), datagram);
    assertEquals(1, endpoint.counts().sent());
  }

  @Test public void oneMacBehindOneDom0BelongsToOneReceiver() throws Exception {
    Recorder a = new Recorder(), other = new Recorder();
    bridge.claim(MAC_A, a);
    bridge.claim(MAC_A, a);
    try {
      bridge.claim(MAC_A, other);
      fail("a second group took a MAC claimed on the same bridge");
    } catch (IllegalStateException expected) {
      assertTrue(expected.getMessage(), expected.getMessage().contains("02:00:00:78:00:01"));
    }
    bridge.release(MAC_A, other); // not its claim: nothing changes
    send(dom0, datagram(0x08, VNI, frame(MAC_B, MAC_A, 60)));
    await(() -> a.frames().size() == 1);
    bridge.release(MAC_A, a);
    bridge.claim(MAC_A, other);
    send(dom0, datagram(0x08, VNI, frame(MAC_B, MAC_A, 60)));
    await(() -> other.frames().size() == 1);
    assertEquals(1, a.frames().size());
  }

  @Test public void aDom0IsRegisteredOnceAndUnregisteredItsFramesAreDropped() throws Exception {
    assertSame(bridge, endpoint.register((InetSocketAddress) dom0.getLocalAddress()));
    InetSocketAddress elsewhere = new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 1);
    try {
      endpoint.register(elsewhere);
      fail("one dom0 address registered at two ports");
    } catch (IllegalArgumentException expected) {
      // one address is one dom0
    }
    Recorder a = new Recorder();
    bridge.claim(MAC_A, a);
    endpoint.unregister(bridge);
    send(dom0, datagram(0x08, VNI, frame(MAC_B, MAC_A, 60)));
    await(() -> endpoint.counts().unregisteredSender() == 1);
    assertEquals(0, a.frames().size());
  }

  @Test public void badSettingsAreRefused() throws Exception {
    InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    for (int vni : new int[] {-1, 1 << 24}) {
      try (VxlanEndpoint e = VxlanEndpoint.open(any, vni)) {
        fail("VNI " + vni + " taken: " + e.vni());
      } catch (IllegalArgumentException expected) {
        assertTrue(expected.getMessage(), expected.getMessage().contains("24 bits"));
      }
    }
    try (VxlanEndpoint e = VxlanEndpoint.open(any, 1, -1)) {
      fail("a negative settle bound taken: " + e.settleMillis());
    } catch (IllegalArgumentException expected) {
      // refused
    }
  }

  // ---- helpers ------------------------------------------------------------------------------------------------

  /** An RFC 7348 datagram: flags, three reserved bytes, the VNI in three bytes, a reserved byte, the frame. */
  private static byte[] datagram(int flags, int vni, byte[] frame) {
    byte[] d = new byte[8 + frame.length];
    d[0] = (byte) flags;
    d[4] = (byte) (vni >> 16);
    d[5] = (byte) (vni >> 8);
    d[6] = (byte) vni;
    System.arraycopy(frame, 0, d, 8, frame.length);
    return d;
  }

  private static byte[] frame(long to, long from, int length) {
    byte[] f = new byte[length];
    for (int i = 0; i < 6; i++) {
      f[i] = (byte) (to >> (40 - 8 * i));
      f[6 + i] = (byte) (from >> (40 - 8 * i));
    }
    f[12] = 0x08;
    return f;
  }

  private void send(DatagramChannel from, byte[] datagram) throws Exception {
    from.send(ByteBuffer.wrap(datagram), endpoint.address());
  }

  private static void await(Supplier<Boolean> condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!condition.get()) {
      if (System.nanoTime() > deadline) fail("not reached in 5 s");
      Thread.sleep(2);
    }
  }
}
