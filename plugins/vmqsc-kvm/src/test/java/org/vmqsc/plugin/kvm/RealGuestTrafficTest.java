package org.vmqsc.plugin.kvm;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.After;
import org.junit.Before;
import org.junit.BeforeClass;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.libvirt.Connect;
import org.vmqsc.agent.kvm.GuestRecords;
import org.vmqsc.agent.kvm.LabGuest;
import org.vmqsc.agent.wire.WireMessages.Deploy;
import org.vmqsc.agent.wire.WireMessages.GuestProfile;
import org.vmqsc.agent.wire.WireMessages.Member;
import org.vmqsc.agent.wire.WireMessages.Report;
import org.vmqsc.protocol.GroupConfig;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.VmClass;

/**
 * Two KVM hosts' agents of the plugin, as {@code HostAgents} makes them on a host with {@code vmqsc.relay.bridge}
 * set, each with a real QEMU guest whose NIC is a port of that host's relay bridge (as a CloudStack guest's NIC on
 * a bridged L2 network is): the guests' messaging program talks to the other guest only through the agents' relays
 * and tunnel, every message is in its receiver's log stamped with its sender's index, and every checkpoint after
 * the first is cut (guest paused, its frames taken) and runs the guest again. One libvirt serves both "hosts"; each
 * has its own bridge, stores and tunnel. Needs root, libvirt and the lab guest ({@code .ci/setup-kvm.sh}): skipped
 * with the reason elsewhere, a failure with {@code CI=true}.
 */
public class RealGuestTrafficTest {

  private static final String SUFFIX = Long.toString(ProcessHandle.current().pid() % 100_000);
  private static final String[] BRIDGES = {"vqpa" + SUFFIX, "vqpb" + SUFFIX};
  private static final String GROUP = "6f1c2a4e-0000-4000-8000-0000000000c3";
  private static final long T0_MILLIS = 2000;

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private final List<RealKvmHost> hosts = new ArrayList<>();
  private final List<LabGuest> guests = new ArrayList<>();
  private Connect connect;

  @BeforeClass public static void needsRootLibvirtAndTheLabGuest() {
    RealKvmHost.requireOrSkip("RealGuestTrafficTest");
  }

  @Before public void twoHostsEachWithItsGuestOnItsBridge() throws Exception {
    connect = LabGuest.connect();
    for (int i = 0; i < 2; i++) {
      hosts.add(new RealKvmHost(tmp.newFolder("host" + i).toPath(), tmp.getRoot().toPath().resolve("stable"),
          connect, BRIDGES[i], xml -> xml));
    }
    for (int i = 0; i < 2; i++) {
      LabGuest.Spec spec = new LabGuest.Spec(guestName(i), 96, 4, 64, 0.5)
          .withNic(LabGuest.Nic.onBridge(i, BRIDGES[i]))
          .withMessaging(new LabGuest.Messaging(i, 2, 5));
      guests.add(LabGuest.start(connect, spec));
    }
  }

  @After public void tearDown() throws Exception {
    for (int i = 0; i < guests.size(); i++) hosts.get(i).destroy(guests.get(i).name());
    for (RealKvmHost h : hosts) h.close();
    if (connect != null) connect.close();
  }

  /** Messages each guest must have received from the other through the relays. */
  private static final int RECEIPTS = 20;

  private boolean eachReceived(int count) throws java.io.IOException {
    for (int receiver = 0; receiver < 2; receiver++) {
      int sender = 1 - receiver;
      if (guests.get(receiver).receipts().stream().filter(e -> e.from() == sender).count() < count) return false;
    }
    return true;
  }

  @Test public void guestsTalkOnlyThroughTheRelaysTheirMessagesAreLoggedAndEveryCheckpointIsCut() throws Exception {
    String[] tunnels = {"127.0.0.1:" + freePort(), "127.0.0.1:" + freePort()};
    List<Member> members = List.of(
        new Member(0, guestName(0), "host0", tunnels[0], LabGuest.macOf(0)),
        new Member(1, guestName(1), "host1", tunnels[1], LabGuest.macOf(1)));
    Deploy deploy = new Deploy(GROUP, new GroupConfig(T0_MILLIS, List.of(VmClass.SI, VmClass.SI)),
        System.currentTimeMillis(), members, new GuestProfile(0, 0, 0, 0), List.of(0, 1));
    for (int i = 0; i < 2; i++) hosts.get(i).agent.deploy("host" + i, tunnels[i], deploy);

    // Checkpoint ticks as the manager sends them, for 10 base periods, and on (at most two minutes more) until each
    // guest has received 20 messages: a guest that boots slowly on a busy machine starts sending late.
    Map<Integer, TreeSet<Long>> checkpointed = new TreeMap<>();
    long end = System.currentTimeMillis() + 10 * T0_MILLIS;
    long latest = end + 120_000;
    while (System.currentTimeMillis() < end
        || (System.currentTimeMillis() < latest && !eachReceived(RECEIPTS))) {
      for (RealKvmHost h : hosts) collect(h.agent.tick(GROUP).batch(), checkpointed);
      Thread.sleep(250);
    }
    for (RealKvmHost h : hosts) assertTrue("checkpoints finish", h.agent.awaitCheckpoints(Duration.ofMinutes(2)));
    for (RealKvmHost h : hosts) collect(h.agent.tick(GROUP).batch(), checkpointed);
    // That tick may have passed a boundary and cut the guests again: their checkpoints run them again.
    for (RealKvmHost h : hosts) assertTrue("checkpoints finish", h.agent.awaitCheckpoints(Duration.ofMinutes(2)));

    for (int vm = 0; vm < 2; vm++) {
      TreeSet<Long> indices = checkpointed.getOrDefault(vm, new TreeSet<>());
      assertTrue("VM " + vm + " checkpointed at many boundaries: " + indices, indices.size() >= 5);
      assertEquals("VM " + vm + " failed no checkpoint", 0, hosts.get(vm).agent.failedCheckpoints());
      assertEquals("VM " + vm + "'s guest runs after its last cut", 1, // VIR_DOMAIN_RUNNING
          connect.domainLookupByName(guestName(vm)).getInfo().state.ordinal());
    }
    for (int receiver = 0; receiver < 2; receiver++) {
      int sender = 1 - receiver;
      List<GuestRecords.Entry> receipts = guests.get(receiver).receipts();
      long fromSender = receipts.stream().filter(e -> e.from() == sender).count();
      assertTrue("guest " + receiver + " received from guest " + sender + " through the relay: " + fromSender,
          fromSender >= RECEIPTS);
      List<LogEntry> log = hosts.get(receiver).agent.snapshot(GROUP).receiveLogs().getOrDefault(receiver, List.of());
      assertTrue("every receipt is a logged message (" + log.size() + " logged, " + fromSender + " received)",
          log.size() >= fromSender);
      long lastIndex = -1;
      for (LogEntry e : log) {
        assertEquals(sender, e.message().from());
        assertTrue("the sender's indices never go back", e.message().index() >= lastIndex);
        lastIndex = e.message().index();
      }
      assertTrue("messages were sent in several of the sender's intervals", lastIndex >= 3);
      System.out.println("RealGuestTrafficTest: guest " + receiver + " received " + fromSender + " from guest "
          + sender + ", " + log.size() + " logged, sender's indices up to " + lastIndex + "; checkpoints of VM "
          + receiver + " at " + checkpointed.get(receiver));
    }
  }

  private static void collect(List<Report> batch, Map<Integer, TreeSet<Long>> checkpointed) {
    for (Report r : batch) {
      if (r.boundary() != null && r.boundary().isCheckpoint() && !r.stable()) {
        checkpointed.computeIfAbsent(r.boundary().vm(), k -> new TreeSet<>()).add(r.boundary().index());
      }
    }
  }

  private static String guestName(int i) {
    return "vmqsc-plugin-" + SUFFIX + "-" + i;
  }

  private static int freePort() throws IOException {
    try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
