package org.vmqsc.agent.net;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.After;
import org.junit.Test;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.Message;

/** Three agents' relays over real UDP sockets on loopback, with and without a lossy network between them. */
public class UdpRelayTest {

  private static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
  private static final TunnelConfig FAST = new TunnelConfig(Duration.ofMillis(20), 12, 64, 100_000);
  private static final int VMS = 6; // VM v runs on host v % 3
  private static final int HOSTS = 3;

  private final List<AutoCloseable> opened = new ArrayList<>();
  private final List<ExecutorService> executors = new ArrayList<>();

  /** One host agent: its tunnel, its group's relay, the node's single thread, and what reached the node. */
  private final class Host {
    final UdpTunnel tunnel;
    final UdpRelay relay;
    final ExecutorService node = Executors.newSingleThreadExecutor();
    final Recorder recorder;

    Host(int id, Datagrams socket, Placement placement, Recorder recorder) {
      this.tunnel = new UdpTunnel(socket, FAST, PeerListener.IGNORE);
      this.relay = new UdpRelay("group-1", tunnel, placement, node);
      this.recorder = recorder;
      relay.attach(recorder);
      opened.add(tunnel);
      executors.add(node);
    }
  }

  /** Checks, on the node's thread, that each channel arrives exactly once and in order, with its payload. */
  private static final class Recorder implements Inbound {
    final int host;
    final long[][] lastSeq = new long[VMS][VMS];
    final List<String> violations = Collections.synchronizedList(new ArrayList<>());
    final List<LogEntry> acks = Collections.synchronizedList(new ArrayList<>());
    CountDownLatch arrivals = new CountDownLatch(0);
    CountDownLatch ackEntries = new CountDownLatch(0);
    Thread nodeThread;

    Recorder(int host) {
      this.host = host;
    }

    @Override public void onArrival(Message m, byte[] payload) {
      sameThread();
      if (m.to() % HOSTS != host) violations.add(m + " reached host " + host);
      if (m.seq() != lastSeq[m.from()][m.to()] + 1) violations.add(m + " after #" + lastSeq[m.from()][m.to()]);
      lastSeq[m.from()][m.to()] = m.seq();
      if (m.digest() != Arrays.hashCode(payload) || m.size() != payload.length) violations.add(m + " payload differs");
      arrivals.countDown();
    }

    @Override public void onAcknowledgements(List<LogEntry> batch) {
      sameThread();
      for (LogEntry e : batch) {
        if (e.message().from() % HOSTS != host) violations.add(e + " acknowledged to host " + host);
        acks.add(e);
        ackEntries.countDown();
      }
    }

    private void sameThread() {
      if (nodeThread == null) nodeThread = Thread.currentThread();
      if (nodeThread != Thread.currentThread() || nodeThread.getName().startsWith("vmqsc-tunnel")) {
        violations.add("called on " + Thread.currentThread().getName());
      }
    }
  }

  private List<Host> cluster(boolean lossy) throws Exception {
    Placement placement = new Placement();
    List<Host> hosts = new ArrayList<>();
    for (int h = 0; h < HOSTS; h++) {
      Datagrams socket = Datagrams.bind(LOOPBACK);
      if (lossy) socket = new LossyDatagrams(socket, 100 + h, 0.10, 0.05, 0.10);
      hosts.add(new Host(h, socket, placement, new Recorder(h)));
    }
    for (int vm = 0; vm < VMS; vm++) placement.place(vm, hosts.get(vm % HOSTS).tunnel.address());
    return hosts;
  }

  @After public void closeAll() throws Exception {
    for (AutoCloseable c : opened) c.close();
    for (ExecutorService e : executors) e.shutdownNow();
  }

  @Test public void thousandsOfMessagesArriveExactlyOnceInChannelOrder() throws Exception {
    exchange(cluster(false), 4_000);
  }

  @Test public void aLossyNetworkStillDeliversExactlyOnceInChannelOrder() throws Exception {
    List<Host> hosts = cluster(true);
    exchange(hosts, 3_000);
    long retransmitted = 0, duplicates = 0;
    for (Host h : hosts) {
      retransmitted += h.tunnel.stats().retransmitted();
      duplicates += h.tunnel.stats().duplicates();
    }
    assertTrue("the faults were exercised: " + retransmitted + " retransmitted", retransmitted > 0);
    assertTrue("the faults were exercised: " + duplicates + " duplicates dropped", duplicates > 0);
  }

  /** Each host sends, on its node's thread, {@code count} messages over random channels (same host ones too). */
  private void exchange(List<Host> hosts, int count) throws Exception {
    Random random = new Random(42);
    long[][] seq = new long[VMS][VMS];
    int[] perHost = new int[HOSTS];
    List<List<Runnable>> sends = new ArrayList<>();
    for (int h = 0; h < HOSTS; h++) sends.add(new ArrayList<>());
    for (int i = 0; i < count; i++) {
      int from = random.nextInt(VMS);
      int to = (from + 1 + random.nextInt(VMS - 1)) % VMS;
      byte[] payload = new byte[random.nextInt(10) == 0 ? 20_000 : random.nextInt(300)];
      random.nextBytes(payload);
      Message m = new Message(from, to, ++seq[from][to], 0, 0, payload.length, Arrays.hashCode(payload));
      perHost[to % HOSTS]++;
      Host sender = hosts.get(from % HOSTS);
      sends.get(from % HOSTS).add(() -> sender.relay.transmit(m, payload));
    }
    for (int h = 0; h < HOSTS; h++) hosts.get(h).recorder.arrivals = new CountDownLatch(perHost[h]);
    for (int h = 0; h < HOSTS; h++) for (Runnable r : sends.get(h)) hosts.get(h).node.execute(r);

    for (Host h : hosts) {
      assertTrue("host " + h.recorder.host + " still waits for " + h.recorder.arrivals.getCount() + " messages; "
          + h.tunnel.stats(), h.recorder.arrivals.await(60, TimeUnit.SECONDS));
    }
    // Everything acknowledged at link level, then nothing more may arrive: a late duplicate would show.
    await(() -> hosts.stream().allMatch(h -> h.tunnel.inFlight() == 0), "links drained");
    for (Host h : hosts) h.tunnel.close();
    for (Host h : hosts) drain(h.node);
    for (Host h : hosts) {
      assertEquals(List.of(), h.recorder.violations);
      assertEquals(0, h.relay.failedCount());
      assertEquals(0, h.tunnel.stats().malformed());
    }
    for (int from = 0; from < VMS; from++) {
      for (int to = 0; to < VMS; to++) assertEquals(seq[from][to], hosts.get(to % HOSTS).recorder.lastSeq[from][to]);
    }
  }

  /** A held relay sends nothing until released, then everything it held, in order. */
  @Test public void framesTransmittedWhileHeldLeaveOnReleaseInOrder() throws Exception {
    List<Host> hosts = cluster(false);
    Host sender = hosts.get(0);
    Recorder receiver = hosts.get(1).recorder;
    receiver.arrivals = new CountDownLatch(3);
    sender.node.submit(() -> {
      sender.relay.hold();
      for (int seq = 1; seq <= 3; seq++) {
        byte[] payload = {(byte) seq};
        sender.relay.transmit(new Message(0, 1, seq, 0, 0, payload.length, Arrays.hashCode(payload)), payload);
      }
    }).get();
    Thread.sleep(200);
    assertEquals("nothing leaves while held", 3, receiver.arrivals.getCount());
    sender.node.submit(sender.relay::release).get();
    assertTrue("released frames arrive", receiver.arrivals.await(5, TimeUnit.SECONDS));
    drain(hosts.get(1).node);
    assertEquals(List.of(), receiver.violations);
  }

  @Test public void acknowledgementBatchesReachTheSendersHostsInShares() throws Exception {
    List<Host> hosts = cluster(true);
    List<LogEntry> batch = new ArrayList<>();
    int[] perHost = new int[HOSTS];
    for (int i = 0; i < 2_500; i++) { // more than three datagrams' worth for host 1
      int from = i % 10 == 0 ? 0 : (i % 10 < 3 ? 2 : 1); // VMs 0, 1 and 2: hosts 0, 1 and 2
      batch.add(new LogEntry(new Message(from, 5, i + 1, 0, 0, 1, i), i + 1, i * 7L, 3, 0));
      perHost[from % HOSTS]++;
    }
    for (int h = 0; h < HOSTS; h++) hosts.get(h).recorder.ackEntries = new CountDownLatch(perHost[h]);
    Host receiver = hosts.get(2); // VM 5 runs on host 2, which holds one share itself
    receiver.node.execute(() -> receiver.relay.acknowledge(batch));
    for (Host h : hosts) assertTrue(h.recorder.ackEntries.await(30, TimeUnit.SECONDS));
    await(() -> hosts.stream().allMatch(h -> h.tunnel.inFlight() == 0), "links drained");
    for (Host h : hosts) drain(h.node);
    Set<LogEntry> all = new HashSet<>();
    for (Host h : hosts) {
      assertEquals(List.of(), h.recorder.violations);
      assertEquals(perHost[h.recorder.host], h.recorder.acks.size());
      all.addAll(h.recorder.acks);
    }
    assertEquals(new HashSet<>(batch), all);
  }

  @Test public void malformedDatagramsAreCountedAndIgnored() throws Exception {
    List<Host> hosts = cluster(false);
    Host target = hosts.get(1);
    byte[] valid = WireFormat.encode(new Packet.Carrier(1, 1, new Frame.Data("group-1", new Message(0, 1, 1, 0, 0, 0, 1), new byte[0])));
    try (DatagramSocket stranger = new DatagramSocket(LOOPBACK)) {
      Random random = new Random(3);
      for (int i = 0; i < 200; i++) {
        byte[] junk = new byte[random.nextInt(1_500)];
        random.nextBytes(junk);
        stranger.send(new DatagramPacket(junk, junk.length, target.tunnel.address()));
      }
      stranger.send(new DatagramPacket(valid, valid.length - 1, target.tunnel.address())); // cut off
      byte[] flipped = valid.clone();
      flipped[30] ^= 4;
      stranger.send(new DatagramPacket(flipped, flipped.length, target.tunnel.address()));
    }
    await(() -> target.tunnel.stats().malformed() == 202, "202 malformed datagrams counted");
    target.recorder.arrivals = new CountDownLatch(1);
    Host sender = hosts.get(0);
    byte[] payload = {1, 2, 3};
    sender.node.execute(() -> sender.relay.transmit(new Message(0, 1, 1, 0, 0, 3, Arrays.hashCode(payload)), payload));
    assertTrue("the receiver still works", target.recorder.arrivals.await(10, TimeUnit.SECONDS));
    assertEquals(1, target.tunnel.stats().delivered());
  }

  @Test public void aPeerThatNeverAnswersIsReportedUnreachable() throws Exception {
    CountDownLatch reported = new CountDownLatch(1);
    Map<InetSocketAddress, Integer> lost = new HashMap<>();
    TunnelConfig quick = new TunnelConfig(Duration.ofMillis(5), 4, 64, 100);
    try (DatagramSocket silent = new DatagramSocket(LOOPBACK);
         UdpTunnel tunnel = UdpTunnel.open(LOOPBACK, quick, (peer, undelivered) -> {
           synchronized (lost) {
             lost.put(peer, undelivered);
           }
           reported.countDown();
         })) {
      InetSocketAddress peer = (InetSocketAddress) silent.getLocalSocketAddress();
      for (int i = 1; i <= 3; i++) tunnel.send(peer, new Frame.Data("g", new Message(0, 1, i, 0, 0, 0, 0), new byte[0]));
      assertTrue("reported within the bounded retries", reported.await(10, TimeUnit.SECONDS));
      synchronized (lost) {
        assertEquals(Map.of(peer, 3), lost);
      }
      assertEquals(1, tunnel.stats().unreachable());
      assertEquals(0, tunnel.inFlight());
      assertEquals(3 * 3, tunnel.stats().retransmitted()); // attempts 2..4 of each
    }
  }

  @Test public void payloadsOverTheLimitAreRefusedWhateverHostTheReceiverRunsOn() throws Exception {
    List<Host> hosts = cluster(false);
    byte[] big = new byte[WireFormat.MAX_PAYLOAD + 1];
    UdpRelay relay = hosts.get(0).relay;
    for (int to : new int[] {1, 3}) { // VM 1 on another host, VM 3 on the same host
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> relay.transmit(new Message(0, to, 1, 0, 0, big.length, 0), big));
      assertTrue(e.getMessage(), e.getMessage().contains("at most " + WireFormat.MAX_PAYLOAD));
    }
  }

  @Test public void closingStopsTheThreadsAndFreesThePort() throws Exception {
    List<Host> hosts = cluster(false);
    List<InetSocketAddress> ports = new ArrayList<>();
    for (Host h : hosts) {
      ports.add(h.tunnel.address());
      h.tunnel.close();
      assertTrue(h.tunnel.isClosed());
      assertThrows(IllegalStateException.class,
          () -> h.tunnel.send(ports.get(0), new Frame.Data("group-1", new Message(0, 1, 1, 0, 0, 0, 0), new byte[0])));
    }
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      for (InetSocketAddress p : ports) {
        if (t.getName().endsWith("-" + p.getPort()) && t.getName().startsWith("vmqsc-tunnel")) fail(t.getName() + " still runs");
      }
    }
    for (InetSocketAddress p : ports) new DatagramSocket(p).close(); // the port is free again
  }

  private static void drain(ExecutorService node) throws Exception {
    node.submit(() -> {}).get(10, TimeUnit.SECONDS);
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) fail("timed out waiting for: " + what);
      Thread.sleep(5);
    }
  }
}
