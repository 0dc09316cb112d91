package org.vmqsc.agent.net;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * The switch on real loopback sockets: three "guests" (UDP sockets standing for QEMU's NIC backends) of a group of
 * four VMs (VM 3 runs on another host), each frame checked for where it goes.
 */
public class GuestNicsTest {

  private static final Map<Integer, Long> MACS = Map.of(
      0, 0x5254_0077_0000L, 1, 0x5254_0077_0001L, 2, 0x5254_0077_0002L, 3, 0x5254_0077_0003L);

  private record Handed(int from, int to, byte[] frame) {}

  private final ExecutorService runtime = Executors.newSingleThreadExecutor();
  private final List<Handed> handed = new ArrayList<>(); // runtime thread only
  private final List<DatagramChannel> guests = new ArrayList<>();
  private final List<InetSocketAddress> relayEnds = new ArrayList<>();
  private GuestNics nics;

  @Before public void attachThreeGuests() throws Exception {
    nics = new GuestNics("g", MACS, runtime, (from, to, frame) -> handed.add(new Handed(from, to, frame)));
    for (int vm = 0; vm < 3; vm++) {
      DatagramChannel guest = DatagramChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      guests.add(guest);
      relayEnds.add(nics.attach(vm, (InetSocketAddress) guest.getLocalAddress()));
    }
  }

  @After public void close() throws Exception {
    nics.close();
    for (DatagramChannel g : guests) g.close();
    runtime.shutdownNow();
  }

  private static byte[] frame(long to, long from, int payload) {
    ByteBuffer b = ByteBuffer.allocate(Ethernet.HEADER_BYTES + 4);
    b.putShort((short) (to >>> 32)).putInt((int) to).putShort((short) (from >>> 32)).putInt((int) from)
        .putShort((short) 0x0800).putInt(payload);
    return b.array();
  }

  private void send(int vm, byte[] frame) throws Exception {
    guests.get(vm).send(ByteBuffer.wrap(frame), relayEnds.get(vm));
  }

  private List<Handed> awaitHanded(int count) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      List<Handed> now = runtime.submit(() -> List.copyOf(handed)).get();
      if (now.size() >= count) return now;
      if (System.nanoTime() > deadline) throw new AssertionError("handed on " + now.size() + " of " + count);
      Thread.sleep(5);
    }
  }

  @Test public void aCutWaitsForTheGuestToTakeWhatWasWrittenIntoItsNic() throws Exception {
    assertTrue(nics.toGuest(0, frame(MACS.get(0), MACS.get(1), 1)));
    // The guest never reads (a paused QEMU, a full receive ring): the wait is bounded, and counted.
    GuestNics.Taken waited = nics.awaitTaken(0);
    assertEquals(1, nics.counts().untakenAtCut());
    assertTrue(waited.untakenBytes() > 0);
    assertTrue(UdpReceiveQueue.bytesQueued((InetSocketAddress) guests.get(0).getLocalAddress()) > 0);

    // The guest takes it: nothing is left for after the cut, nothing counted.
    guests.get(0).receive(ByteBuffer.allocate(2048));
    assertTrue(nics.toGuest(1, frame(MACS.get(1), MACS.get(0), 2)));
    guests.get(1).receive(ByteBuffer.allocate(2048));
    nics.awaitTaken(0);
    nics.awaitTaken(1);
    assertEquals(1, nics.counts().untakenAtCut());
    assertEquals(0, UdpReceiveQueue.bytesQueued((InetSocketAddress) guests.get(1).getLocalAddress()));
  }

  @Test public void aGuestLetRunAfterALongHoldTakesItsFramesLateAndTheCutWaitsForThem() throws Exception {
    // A software-emulated guest held for seconds (its earlier snapshot still starting) is let run with frames
    // waiting for it, and cut at once: it takes them a few hundred milliseconds later.
    assertTrue(nics.toGuest(0, frame(MACS.get(0), MACS.get(1), 1)));
    ExecutorService guest = Executors.newSingleThreadExecutor();
    try {
      var taken = guest.submit(() -> {
        Thread.sleep(300);
        guests.get(0).receive(ByteBuffer.allocate(2048));
        return null;
      });
      GuestNics.Taken waited = nics.awaitTaken(0);
      taken.get(10, TimeUnit.SECONDS);
      assertEquals("nothing left for after the cut", 0, waited.untakenBytes());
      assertEquals(0, nics.counts().untakenAtCut());
      assertTrue("waited for the guest: " + waited.waitedNanos(), waited.waitedNanos() > 0);
    } finally {
      guest.shutdownNow();
    }
  }

  @Test public void theWaitBeforeACutPausesAnyGuestIsNotCountedAsACutWithFramesUntaken() throws Exception {
    assertTrue(nics.toGuest(0, frame(MACS.get(0), MACS.get(1), 1)));
    GuestNics.Taken early = nics.awaitTakenEarly(0);  // the guest never reads
    assertTrue(early.untakenBytes() > 0);
    assertEquals("no guest was paused with it", 0, nics.counts().untakenAtCut());
    guests.get(0).receive(ByteBuffer.allocate(2048));
    assertEquals(0, nics.awaitTaken(0).untakenBytes());  // right before its stop: taken by then
    assertEquals(0, nics.counts().untakenAtCut());
  }

  @Test public void aCutOfAGuestWithNothingWrittenDoesNotWait() {
    assertEquals(GuestNics.Taken.NOTHING_WRITTEN, nics.awaitTaken(2));
  }

  @Test public void aUnicastFrameGoesToTheVmWithThatMacWhereverItRuns() throws Exception {
    byte[] toLocal = frame(MACS.get(2), MACS.get(0), 7);
    byte[] toRemote = frame(MACS.get(3), MACS.get(1), 8);
    send(0, toLocal);
    send(1, toRemote);
    List<Handed> got = awaitHanded(2);
    Handed a = got.stream().filter(h -> h.from() == 0).findFirst().orElseThrow();
    Handed b = got.stream().filter(h -> h.from() == 1).findFirst().orElseThrow();
    assertEquals(2, a.to());
    assertArrayEquals(toLocal, a.frame());
    assertEquals(3, b.to());
    assertArrayEquals(toRemote, b.frame());
  }

  @Test public void aBroadcastFrameGoesToEveryOtherVmOfTheGroup() throws Exception {
    send(1, frame(Ethernet.BROADCAST, MACS.get(1), 1));
    List<Handed> got = awaitHanded(3);
    assertEquals(List.of(0, 2, 3), got.stream().map(Handed::to).sorted().toList());
    assertTrue(got.stream().allMatch(h -> h.from() == 1));
  }

  @Test public void spoofedMalformedAndForeignFramesGoNowhereAndAreCounted() throws Exception {
    send(0, frame(MACS.get(1), MACS.get(2), 1));          // claims to come from VM 2
    send(0, new byte[] {1, 2, 3});                         // shorter than a header
    send(0, frame(0x5254_0099_0000L, MACS.get(0), 1));   // no VM of the group has that MAC
    send(0, frame(MACS.get(0), MACS.get(0), 1));         // to itself
    send(0, frame(MACS.get(1), MACS.get(0), 42));        // the one good frame, sent last
    List<Handed> got = awaitHanded(1);
    Thread.sleep(50);
    assertEquals(1, runtime.submit(handed::size).get().intValue());
    assertEquals(1, got.get(0).to());
    GuestNics.Counts c = nics.counts();
    assertEquals(5, c.fromGuests());
    assertEquals(1, c.spoofed());
    assertEquals(1, c.malformed());
    assertEquals(2, c.unknownDestination());
  }

  @Test public void aCutHandsOnEveryFrameSentBeforeItOnTheRuntimeThreadInOrder() throws Exception {
    int n = 500;
    for (int i = 0; i < n; i++) send(0, frame(MACS.get(1), MACS.get(0), i));
    // The cut runs on the runtime thread; when it returns, every frame sent before it has been handed on, even if
    // the selector thread has not read them yet.
    int afterCut = runtime.submit(() -> {
      nics.cut(0);
      return handed.size();
    }).get();
    assertEquals(n, afterCut);
    List<Handed> got = awaitHanded(n);
    for (int i = 0; i < n; i++) assertEquals(i, ByteBuffer.wrap(got.get(i).frame(), Ethernet.HEADER_BYTES, 4).getInt());
  }

  @Test public void framesToAGuestArriveFromItsRelayEnd() throws Exception {
    byte[] f = frame(MACS.get(2), MACS.get(0), 5);
    assertTrue(nics.toGuest(2, f));
    ByteBuffer in = ByteBuffer.allocate(2048);
    guests.get(2).configureBlocking(true);
    InetSocketAddress from = (InetSocketAddress) guests.get(2).receive(in);
    assertEquals(relayEnds.get(2), from);
    in.flip();
    byte[] got = new byte[in.remaining()];
    in.get(got);
    assertArrayEquals(f, got);
    assertFalse("VM 3 has no port on this host", nics.toGuest(3, f));
  }

  @Test public void aGroupWithTwoVmsOnOneMacIsRefused() {
    assertThrows(IllegalArgumentException.class,
        () -> new GuestNics("bad", Map.of(0, 0x5254_0000_0001L, 1, 0x5254_0000_0001L), runtime, (a, b, c) -> {}));
    assertThrows(IllegalArgumentException.class, () -> Ethernet.parseMac("52:54:00:zz:00:01"));
    assertEquals(0x5254_0077_000aL, Ethernet.parseMac("52:54:00:77:00:0a"));
    assertEquals("52:54:00:77:00:0a", Ethernet.formatMac(0x5254_0077_000aL));
  }
}
