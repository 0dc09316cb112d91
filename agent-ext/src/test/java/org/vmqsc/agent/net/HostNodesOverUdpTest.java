package org.vmqsc.agent.net;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.After;
import org.junit.Test;
import org.vmqsc.agent.log.LoggedMessage;
import org.vmqsc.agent.log.MemoryMessageStore;
import org.vmqsc.agent.log.MessageLog;
import org.vmqsc.agent.node.Guests;
import org.vmqsc.agent.node.HostNode;
import org.vmqsc.protocol.BoundaryRecord;
import org.vmqsc.protocol.GroupConfig;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.VmClass;
import org.vmqsc.protocol.host.SenderCopy;
import org.vmqsc.protocol.recovery.Replay;

/**
 * The real host runtime on both ends: three HostNodes, each on its own single thread, whose guests message each
 * other through UdpRelays over a lossy loopback network. The node itself refuses a channel that skips a message,
 * so a lost or reordered frame would show as a failed delivery; the guests check exactly once; the senders' copies
 * must all be acknowledged at the end.
 */
public class HostNodesOverUdpTest {

  private static final int VMS = 6;
  private static final int HOSTS = 3;
  private static final int MESSAGES = 2_000;

  private final List<UdpTunnel> tunnels = new ArrayList<>();
  private final List<ExecutorService> threads = new ArrayList<>();

  /** Guests that count steps and record what they are handed; each VM checks its channels stay in order. */
  private static final class CountingGuests implements Guests {
    final Set<Integer> here = new HashSet<>();
    final long[] position = new long[VMS];
    final long[][] lastSeq = new long[VMS][VMS];
    final List<String> violations = Collections.synchronizedList(new ArrayList<>());
    final CountDownLatch deliveries;

    CountingGuests(int expected) {
      deliveries = new CountDownLatch(expected);
    }

    @Override public boolean running(int vm) {
      return here.contains(vm);
    }

    @Override public long position(int vm) {
      return position[vm];
    }

    @Override public void deliver(LogEntry e, byte[] payload, Replay replay) {
      var m = e.message();
      if (m.seq() != lastSeq[m.from()][m.to()] + 1) violations.add(m + " after #" + lastSeq[m.from()][m.to()]);
      if (Arrays.hashCode(payload) != m.digest()) violations.add(m + " payload differs");
      lastSeq[m.from()][m.to()] = m.seq();
      position[m.to()]++;
      deliveries.countDown();
    }

    @Override public void checkpoint(BoundaryRecord checkpoint) {}

    @Override public void rebuild(int vm, BoundaryRecord c, String location, List<LoggedMessage> replay, long until) {
      violations.add("no rebuild expected");
    }

    @Override public void stop(int vm) {
      here.remove(vm);
    }
  }

  @After public void close() {
    tunnels.forEach(UdpTunnel::close);
    threads.forEach(ExecutorService::shutdownNow);
  }

  @Test public void nodesExchangeThroughALossyNetworkAndEveryCopyIsAcknowledged() throws Exception {
    GroupConfig config = new GroupConfig(1, Collections.nCopies(VMS, VmClass.SI));
    Placement placement = new Placement();
    Random random = new Random(11);
    int[][] sends = new int[MESSAGES][2];
    int[] expected = new int[HOSTS];
    for (int[] s : sends) {
      s[0] = random.nextInt(VMS);
      s[1] = (s[0] + 1 + random.nextInt(VMS - 1)) % VMS;
      expected[s[1] % HOSTS]++;
    }
    TunnelConfig tunnelConfig = new TunnelConfig(Duration.ofMillis(20), 12, 64, 100_000);
    HostNode[] nodes = new HostNode[HOSTS];
    CountingGuests[] guests = new CountingGuests[HOSTS];
    UdpRelay[] relays = new UdpRelay[HOSTS];
    for (int h = 0; h < HOSTS; h++) {
      Datagrams socket = new LossyDatagrams(Datagrams.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)),
          h, 0.05, 0.05, 0.05);
      UdpTunnel tunnel = new UdpTunnel(socket, tunnelConfig, PeerListener.IGNORE);
      ExecutorService thread = Executors.newSingleThreadExecutor();
      tunnels.add(tunnel);
      threads.add(thread);
      guests[h] = new CountingGuests(expected[h]);
      relays[h] = new UdpRelay("group-1", tunnel, placement, thread);
      nodes[h] = new HostNode("h" + h, "group-1", config, new MessageLog(new MemoryMessageStore()), relays[h],
          guests[h], write -> {}, (group, batch) -> {}, () -> 0);
      relays[h].attach(Inbound.of(nodes[h]));
    }
    for (int vm = 0; vm < VMS; vm++) {
      int h = vm % HOSTS, v = vm;
      placement.place(vm, tunnels.get(h).address());
      on(h, () -> {
        guests[h].here.add(v);
        nodes[h].start(v);
      });
    }
    for (int i = 0; i < MESSAGES; i++) {
      int from = sends[i][0], to = sends[i][1], h = from % HOSTS;
      byte[] payload = new byte[random.nextInt(2_000)];
      random.nextBytes(payload);
      threads.get(h).execute(() -> nodes[h].send(from, to, payload, Arrays.hashCode(payload)));
      if (i % 500 == 499) { // a base boundary now and then: it sends the acknowledgements gathered since
        long index = i / 500 + 1;
        for (int k = 0; k < HOSTS; k++) {
          int n = k;
          threads.get(k).execute(() -> nodes[n].onBoundary(index));
        }
      }
    }
    for (int h = 0; h < HOSTS; h++) {
      assertTrue("host " + h + " waits for " + guests[h].deliveries.getCount() + "; " + tunnels.get(h).stats(),
          guests[h].deliveries.await(60, TimeUnit.SECONDS));
    }
    for (int h = 0; h < HOSTS; h++) {
      int n = h;
      on(h, () -> nodes[n].onBoundary(100)); // the last acknowledgements leave
    }
    for (int h = 0; h < HOSTS; h++) {
      int n = h;
      await(() -> call(n, () -> unacknowledged(nodes[n])) == 0, "host " + h + "'s copies acknowledged");
      int copies = call(n, () -> nodes[n].snapshot().copies().values().stream().mapToInt(List::size).sum());
      assertTrue("cross-host messages were sent from host " + h + ": " + copies, copies > 300);
      assertEquals(List.of(), guests[h].violations);
      assertEquals("frames the node refused", 0, relays[h].failedCount());
      assertEquals("frames the node dropped", 0, relays[h].droppedCount());
    }
  }

  private static int unacknowledged(HostNode node) {
    int n = 0;
    for (List<SenderCopy> copies : node.snapshot().copies().values()) {
      for (SenderCopy c : copies) if (!c.isAcknowledged()) n++;
    }
    return n;
  }

  private void on(int host, Runnable r) throws Exception {
    threads.get(host).submit(r).get(10, TimeUnit.SECONDS);
  }

  private <T> T call(int host, java.util.concurrent.Callable<T> c) {
    try {
      return threads.get(host).submit(c).get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static void await(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for: " + what);
      Thread.sleep(10);
    }
  }
}
