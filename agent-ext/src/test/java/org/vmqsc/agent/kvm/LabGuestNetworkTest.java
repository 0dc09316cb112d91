package org.vmqsc.agent.kvm;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.After;
import org.junit.Assume;
import org.junit.BeforeClass;
import org.junit.Test;
import org.libvirt.Connect;
import org.vmqsc.agent.kvm.GuestRecords.Entry;
import org.vmqsc.agent.kvm.GuestRecords.Kind;
import org.vmqsc.agent.kvm.GuestRecords.Record;

/**
 * Two lab guests with a NIC each, wired together by a tiny Ethernet forwarder on loopback, exchange numbered
 * messages and record them on their data disks. Skipped, with one line saying why, where libvirt or a lab guest
 * with the messaging program is missing ({@code .ci/setup-kvm.sh} provides both); with {@code CI=true} that fails.
 */
public class LabGuestNetworkTest {

  private static final int GUESTS = 2;
  private static final int MESSAGES = 10;

  private Connect connect;
  private final List<LabGuest> guests = new ArrayList<>();
  private Forwarder forwarder;
  private DatagramSocket sink;
  private final List<Path> scratch = new ArrayList<>();

  @BeforeClass public static void needsLibvirt() {
    String reason = LabGuest.messagingUnavailableReason().orElse(null);
    if (reason != null && "true".equals(System.getenv("CI"))) {
      // In CI .ci/setup-kvm.sh installed and built what this needs: missing, it is a failure, not a skip.
      throw new AssertionError("LabGuestNetworkTest cannot run (CI=true, so this fails instead of skipping): "
          + reason);
    }
    if (reason != null) {
      System.out.println("LabGuestNetworkTest skipped: " + reason);
    }
    Assume.assumeTrue("skipped: " + reason, reason == null);
  }

  @After public void cleanUp() throws Exception {
    for (LabGuest guest : guests) {
      guest.close();
      if (guest.dataDisk().isPresent()) {
        Files.deleteIfExists(guest.dataDisk().get());
      }
    }
    if (forwarder != null) {
      forwarder.close();
    }
    if (sink != null) {
      sink.close();
    }
    for (Path file : scratch) {
      Files.deleteIfExists(file);
    }
    if (connect != null) {
      connect.close();
    }
  }

  @Test public void twoGuestsExchangeNumberedMessagesAndRecordThemOnTheirDisks() throws Exception {
    long started = System.nanoTime();
    connect = LabGuest.connect();
    forwarder = new Forwarder();
    int[] localPorts = new int[GUESTS];
    for (int i = 0; i < GUESTS; i++) {
      localPorts[i] = freeUdpPort();
    }
    forwarder.start(localPorts);
    for (int i = 0; i < GUESTS; i++) {
      LabGuest.Spec spec = new LabGuest.Spec("vmqsc-net-" + ProcessHandle.current().pid() + "-" + i, 128, 4, 64, 1.0)
          .withNic(LabGuest.Nic.forIndex(i, localPorts[i], forwarder.relayPort(i)))
          .withMessaging(new LabGuest.Messaging(i, GUESTS, 5))
          .withDataDisk(LabGuest.DataDisk.fresh());
      guests.add(LabGuest.start(connect, spec));
    }
    // Once guest 0 hears from guest 1, it also gets datagrams that are not messages: it must ignore them all.
    guests.get(0).awaitReceiptsFrom(1, 2, 45_000);
    List<byte[]> junk = junkForGuest0();
    forwarder.inject(0, junk);
    for (int i = 0; i < GUESTS; i++) {
      guests.get(i).awaitReceiptsFrom(1 - i, MESSAGES, 45_000);
    }
    // The count of ignored datagrams is printed with the once-a-second state.
    long deadline = System.currentTimeMillis() + 5_000;
    while (guests.get(0).ignoredDatagrams() < junk.size() && System.currentTimeMillis() < deadline) {
      Thread.sleep(100);
    }
    long exchanged = System.nanoTime();
    // No frame reaches a guest from now on, so what each has received is final. A guest logs a send just after the
    // datagram left it: before the guests are destroyed, every send a receipt shows is let reach its sender's log
    // (at most 10 s; the checks below say what is missing), or a destroy could cut that line short.
    forwarder.close();
    long settled = System.currentTimeMillis() + 10_000;
    while (!everyReceiptsSendLogged(guests) && System.currentTimeMillis() < settled) {
      Thread.sleep(100);
    }
    // Destroyed, the guests' disks hold exactly what they wrote, and their serial logs are complete.
    for (LabGuest guest : guests) {
      guest.close();
    }

    List<List<Entry>> sends = new ArrayList<>();
    for (LabGuest guest : guests) {
      sends.add(guest.sends());
    }
    for (int i = 0; i < GUESTS; i++) {
      LabGuest guest = guests.get(i);
      int other = 1 - i;
      List<Entry> receipts = guest.receipts();
      assertTrue(guest.name() + " received " + receipts, receipts.size() >= MESSAGES);
      for (int k = 0; k < receipts.size(); k++) {
        assertEquals(guest.name() + " received in order, no gap: " + receipts,
            new Entry(Kind.RECV, other, i, k + 1), receipts.get(k));
      }
      Set<Entry> sent = new HashSet<>();
      for (Entry send : sends.get(other)) {
        sent.add(new Entry(Kind.RECV, send.from(), send.to(), send.seq()));
      }
      for (Entry receipt : receipts) {
        assertTrue(receipt + " was never sent by " + guests.get(other).name(), sent.contains(receipt));
      }
      List<Entry> own = sends.get(i);
      for (int k = 0; k < own.size(); k++) {
        assertEquals("sends of " + guest.name(), new Entry(Kind.SEND, i, other, k + 1), own.get(k));
      }

      // The disk records, read on the host, are the serial records (the last may have been written and not yet
      // printed when the guest was destroyed).
      List<Entry> journal = guest.journal();
      List<Record> disk = guest.diskRecords();
      assertTrue(guest.name() + ": " + disk.size() + " records on disk, " + journal.size() + " printed",
          disk.size() == journal.size() || disk.size() == journal.size() + 1);
      for (int k = 0; k < journal.size(); k++) {
        assertEquals(guest.name() + " record " + (k + 1), new Record(k + 1, journal.get(k)), disk.get(k));
      }
      List<GuestRecords.State> states = guest.states();
      assertFalse(guest.name() + " printed no state", states.isEmpty());
      for (GuestRecords.State state : states) {
        assertEquals(guest.name() + " memory and disk agree: " + states, state.memory(), state.disk());
      }
      System.out.println("lab guest network: " + guest.name() + " sent " + own.size() + ", received "
          + receipts.size() + ", " + disk.size() + " records on disk, last state " + states.get(states.size() - 1));
    }
    assertEquals("datagrams guest 0 ignored", junk.size(), guests.get(0).ignoredDatagrams());
    assertEquals("datagrams guest 1 ignored", 0, guests.get(1).ignoredDatagrams());
    System.out.println("lab guest network: forwarded " + forwarder.frames + " frames, not IPv4: "
        + forwarder.otherFrames + "; exchange took " + (exchanged - started) / 1_000_000 + " ms, the test "
        + (System.nanoTime() - started) / 1_000_000 + " ms");
    assertTrue("the guests sent frames of their own: " + forwarder.otherFrames, forwarder.otherFrames.isEmpty());
  }

  /**
   * A guest saved and restored (memory) with its data disk from the same instant, from later and from before: the
   * program's own state line says whether memory and disk agree, and only the disk of the same instant continues
   * the numbering. A guest booted with an existing disk resumes after its last record.
   */
  @Test public void aRestoredGuestTellsWhetherItsDiskIsFromTheSameInstant() throws Exception {
    long started = System.nanoTime();
    connect = LabGuest.connect();
    sink = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));  // guest 1 is absent
    String name = "vmqsc-net-" + ProcessHandle.current().pid() + "-r";
    LabGuest guest = LabGuest.start(connect, new LabGuest.Spec(name, 128, 4, 64, 1.0)
        .withNic(LabGuest.Nic.forIndex(0, freeUdpPort(), sink.getLocalPort()))
        .withMessaging(new LabGuest.Messaging(0, 2, 10))
        .withDataDisk(LabGuest.DataDisk.fresh()));
    guests.add(guest);
    Path disk = guest.dataDisk().orElseThrow();
    await("5 sends", () -> guest.sends().size() >= 5);

    Path image = disk.resolveSibling(name + ".save");
    Path sameInstant = disk.resolveSibling(name + ".same.qcow2");
    scratch.addAll(List.of(image, sameInstant));
    connect.domainLookupByName(name).save(image.toString());
    List<Record> atSave = guest.diskRecords();
    Files.copy(disk, sameInstant, StandardCopyOption.REPLACE_EXISTING);
    List<Entry> sentBeforeSave = guest.sends();
    long lastSeq = sentBeforeSave.get(sentBeforeSave.size() - 1).seq();

    // The same instant: memory and disk agree, and the numbering goes on.
    long mark = restore(guest, image);
    // Far enough ahead that the restored memory below cannot catch up with this disk before its first state line.
    await("30 sends after the restore", () -> entries(guest, mark, Kind.SEND).size() >= 30);
    assertEquals("the restored guest's next message", lastSeq + 1, entries(guest, mark, Kind.SEND).get(0).seq());
    List<GuestRecords.State> same = states(guest, mark);
    assertFalse("no state after the restore", same.isEmpty());
    for (GuestRecords.State state : same) {
      assertEquals("disk of the same instant: " + same, state.memory(), state.disk());
    }
    guest.close();
    long later = guest.diskRecords().size();

    // A disk from later: it holds more records than memory counts.
    long mark2 = restore(guest, image);
    await("a state after the restore", () -> !states(guest, mark2).isEmpty());
    GuestRecords.State newer = states(guest, mark2).get(0);
    assertTrue("disk from later (" + later + " records): " + newer, newer.disk() > newer.memory());
    guest.close();

    // A disk from before (empty): fewer, and it stays so after the guest writes to it again.
    Files.delete(disk);
    new ProcessBuilder("qemu-img", "create", "-q", "-f", "qcow2", disk.toString(), "64M").inheritIO().start()
        .waitFor();
    long mark3 = restore(guest, image);
    await("two states after the restore", () -> states(guest, mark3).size() >= 2);
    List<GuestRecords.State> older = states(guest, mark3);
    for (GuestRecords.State state : older) {
      assertEquals("disk from before: " + older, 0, state.disk());
      assertTrue("disk from before: " + older, state.memory() >= atSave.size());
    }
    guest.close();

    // Booted afresh with the disk of the save: the program resumes after the disk's last record.
    LabGuest rebooted = LabGuest.start(connect, new LabGuest.Spec(name + "b", 128, 4, 64, 1.0)
        .withNic(LabGuest.Nic.forIndex(0, freeUdpPort(), sink.getLocalPort()))
        .withMessaging(new LabGuest.Messaging(0, 2, 10))
        .withDataDisk(LabGuest.DataDisk.existing(sameInstant)));
    guests.add(rebooted);
    await("a send and a state after the boot",
        () -> !rebooted.sends().isEmpty() && !rebooted.states().isEmpty());
    long lastOnDisk = atSave.stream().filter(r -> r.entry().kind() == Kind.SEND)
        .mapToLong(r -> r.entry().seq()).max().orElseThrow();
    assertEquals("first message after the boot", lastOnDisk + 1, rebooted.sends().get(0).seq());
    GuestRecords.State resumed = rebooted.states().get(0);
    assertEquals("memory and disk after the boot: " + resumed, resumed.memory(), resumed.disk());
    assertTrue("resumed at " + resumed, resumed.memory() > atSave.size());
    rebooted.close();
    List<Record> records = rebooted.diskRecords();
    assertEquals("the disk of the save is kept", atSave, records.subList(0, atSave.size()));
    System.out.println("lab guest restore: " + atSave.size() + " records at the save, " + later
        + " on the later disk, first states " + newer + " (later disk) and " + older.get(0)
        + " (empty disk), rebooted on the disk of the save: " + resumed + "; the test "
        + (System.nanoTime() - started) / 1_000_000 + " ms");
  }

  /** Restores the saved guest; returns where its serial log stood, so that only what the restored guest prints counts. */
  private long restore(LabGuest guest, Path image) throws Exception {
    long mark = Files.size(guest.serialLog());
    connect.restore(image.toString());
    return mark;
  }

  private static String serialSince(LabGuest guest, long mark) throws IOException {
    byte[] log = Files.readAllBytes(guest.serialLog());
    return new String(log, (int) mark, log.length - (int) mark, StandardCharsets.ISO_8859_1);
  }

  private static List<Entry> entries(LabGuest guest, long mark, Kind kind) throws IOException {
    return GuestRecords.serialEntries(serialSince(guest, mark)).stream().filter(e -> e.kind() == kind).toList();
  }

  private static List<GuestRecords.State> states(LabGuest guest, long mark) throws IOException {
    return GuestRecords.serialStates(serialSince(guest, mark));
  }

  private interface Condition {
    boolean holds() throws Exception;
  }

  private static void await(String what, Condition condition) throws Exception {
    long deadline = System.currentTimeMillis() + 45_000;
    while (!condition.holds()) {
      assertTrue("no " + what + " in 45 s", System.currentTimeMillis() < deadline);
      Thread.sleep(100);
    }
  }

  /** UDP datagrams for guest 0's message port that the messaging program must ignore. */
  private static List<byte[]> junkForGuest0() {
    List<byte[]> frames = new ArrayList<>();
    frames.add(udpFrame(1, new byte[0]));
    frames.add(udpFrame(1, "not a message".getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
    frames.add(udpFrame(1, message(0x51534d30, 1, 0, 99)));                                 // wrong magic
    frames.add(udpFrame(1, java.util.Arrays.copyOf(message(0x51534d31, 1, 0, 99), 25)));   // one byte too many
    frames.add(udpFrame(1, java.util.Arrays.copyOf(message(0x51534d31, 1, 0, 99), 23)));   // one byte short
    frames.add(udpFrame(1, message(0x51534d31, 1, 7, 99)));                                 // not for guest 0
    frames.add(udpFrame(1, message(0x51534d31, 0, 0, 99)));                                 // from itself
    frames.add(udpFrame(1, message(0x51534d31, 200, 0, 99)));                               // no such guest
    frames.add(udpFrame(2, message(0x51534d31, 1, 0, 99)));                                 // from another address
    return frames;
  }

  private static byte[] message(int magic, int from, int to, long seq) {
    return java.nio.ByteBuffer.allocate(24).putInt(magic).putInt(from).putInt(to).putInt(0).putLong(seq).array();
  }

  /** An Ethernet frame to guest 0 carrying a UDP datagram to its message port from {@code sourceIndex}'s address. */
  private static byte[] udpFrame(int sourceIndex, byte[] payload) {
    java.nio.ByteBuffer frame = java.nio.ByteBuffer.allocate(14 + 20 + 8 + payload.length);
    frame.put(mac(LabGuest.macOf(0))).put(mac(LabGuest.macOf(1))).putShort((short) 0x0800);
    int ip = frame.position();
    frame.put((byte) 0x45).put((byte) 0).putShort((short) (20 + 8 + payload.length)).putShort((short) 0)
        .putShort((short) 0x4000).put((byte) 64).put((byte) 17).putShort((short) 0)
        .put(ipv4(LabGuest.ipOf(sourceIndex))).put(ipv4(LabGuest.ipOf(0)));
    int sum = 0;
    for (int i = ip; i < ip + 20; i += 2) {
      sum += frame.getShort(i) & 0xffff;
    }
    sum = (sum & 0xffff) + (sum >>> 16);
    sum = (sum & 0xffff) + (sum >>> 16);
    frame.putShort(ip + 10, (short) ~sum);
    // UDP checksum 0: none, which IPv4 allows.
    frame.putShort((short) LabGuest.MESSAGE_PORT).putShort((short) LabGuest.MESSAGE_PORT)
        .putShort((short) (8 + payload.length)).putShort((short) 0).put(payload);
    return frame.array();
  }

  private static byte[] mac(String text) {
    byte[] mac = new byte[6];
    String[] parts = text.split(":");
    for (int i = 0; i < 6; i++) {
      mac[i] = (byte) Integer.parseInt(parts[i], 16);
    }
    return mac;
  }

  private static byte[] ipv4(String text) {
    byte[] address = new byte[4];
    String[] parts = text.split("\\.");
    for (int i = 0; i < 4; i++) {
      address[i] = (byte) Integer.parseInt(parts[i]);
    }
    return address;
  }

  private static int freeUdpPort() throws SocketException {
    try (DatagramSocket probe = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
      return probe.getLocalPort();
    }
  }

  /**
   * The relay's stand-in: one UDP socket per guest on loopback (the port the guest's QEMU sends its frames to);
   * each frame from one guest goes on to the other guest's QEMU, unchanged. Frames for a guest that has not sent
   * anything yet are held until it has: one guest boots before the other, and what it sends meanwhile would be lost.
   */
  /** Whether each guest's sender has logged every send the guest's receipts show so far. */
  private static boolean everyReceiptsSendLogged(List<LabGuest> guests) throws IOException {
    for (int i = 0; i < GUESTS; i++) {
      Set<Long> sent = new HashSet<>();
      for (Entry send : guests.get(1 - i).sends()) sent.add(send.seq());
      for (Entry receipt : guests.get(i).receipts()) {
        if (!sent.contains(receipt.seq())) return false;
      }
    }
    return true;
  }

  private static final class Forwarder implements AutoCloseable {
    private final DatagramSocket[] sockets = new DatagramSocket[GUESTS];
    private final boolean[] heard = new boolean[GUESTS];  // guarded by held[guest]
    @SuppressWarnings("unchecked")
    private final List<DatagramPacket>[] held = new List[GUESTS];
    private final InetSocketAddress[] guestAddresses = new InetSocketAddress[GUESTS];
    private final List<Thread> threads = new ArrayList<>();
    final AtomicLong frames = new AtomicLong();
    final List<String> otherFrames = new CopyOnWriteArrayList<>();

    Forwarder() throws SocketException {
      for (int i = 0; i < GUESTS; i++) {
        sockets[i] = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        held[i] = new ArrayList<>();
      }
    }

    int relayPort(int guest) {
      return sockets[guest].getLocalPort();
    }

    void start(int[] guestPorts) {
      for (int i = 0; i < GUESTS; i++) {
        guestAddresses[i] = new InetSocketAddress(InetAddress.getLoopbackAddress(), guestPorts[i]);
      }
      for (int i = 0; i < GUESTS; i++) {
        int from = i;
        int to = 1 - i;
        Thread thread = new Thread(() -> forward(from, to), "forwarder-" + from);
        thread.setDaemon(true);
        thread.start();
        threads.add(thread);
      }
    }

    /** Sends frames of the test's own to a guest that has been heard from. */
    void inject(int guest, List<byte[]> frames) throws IOException {
      synchronized (held[guest]) {
        assertTrue("guest " + guest + " has not been heard from", heard[guest]);
        for (byte[] frame : frames) {
          sockets[guest].send(new DatagramPacket(frame, frame.length, guestAddresses[guest]));
        }
      }
    }

    private void forward(int from, int to) {
      byte[] buffer = new byte[65536];
      DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
      while (!sockets[from].isClosed()) {
        try {
          packet.setLength(buffer.length);
          sockets[from].receive(packet);
          frames.incrementAndGet();
          int type = packet.getLength() >= 14 ? (buffer[12] & 0xff) << 8 | (buffer[13] & 0xff) : -1;
          if (type != 0x0800 && otherFrames.size() < 10) {
            otherFrames.add(String.format("guest %d: ethertype 0x%04x, %d bytes", from, type, packet.getLength()));
          }
          synchronized (held[from]) {
            if (!heard[from]) {
              heard[from] = true;
              for (DatagramPacket frame : held[from]) {
                sockets[from].send(frame);
              }
              held[from].clear();
            }
          }
          DatagramPacket frame = new DatagramPacket(java.util.Arrays.copyOf(buffer, packet.getLength()),
              packet.getLength(), guestAddresses[to]);
          synchronized (held[to]) {
            if (heard[to]) {
              sockets[to].send(frame);
            } else {
              held[to].add(frame);
            }
          }
        } catch (IOException e) {
          if (sockets[from].isClosed()) {
            return;
          }
        }
      }
    }

    @Override public void close() throws InterruptedException {
      for (DatagramSocket socket : sockets) {
        socket.close();
      }
      for (Thread thread : threads) {
        thread.join(1000);
      }
    }
  }
}
