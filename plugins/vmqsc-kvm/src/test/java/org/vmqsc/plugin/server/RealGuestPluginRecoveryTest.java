package org.vmqsc.plugin.server;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyBoolean;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import com.cloud.agent.AgentManager;
import com.cloud.agent.Listener;
import com.cloud.agent.api.Answer;
import com.cloud.agent.api.Command;
import com.cloud.exception.AgentUnavailableException;
import com.cloud.ha.FenceBuilder;
import com.cloud.host.Host;
import com.cloud.host.Status;
import com.cloud.hypervisor.Hypervisor.HypervisorType;
import com.cloud.hypervisor.kvm.resource.LibvirtComputingResource;
import com.cloud.network.Network;
import com.cloud.network.NetworkModel;
import com.cloud.resource.CommandWrapper;
import com.cloud.utils.db.EntityManager;
import com.cloud.vm.Nic;
import com.cloud.vm.VirtualMachine;
import com.cloud.vm.VirtualMachineManager;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.After;
import org.junit.Before;
import org.junit.BeforeClass;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.libvirt.Connect;
import org.mockito.ArgumentCaptor;
import org.vmqsc.agent.kvm.GuestRecords;
import org.vmqsc.agent.kvm.GuestVerdict;
import org.vmqsc.agent.kvm.LabDisk;
import org.vmqsc.agent.kvm.LabGuest;
import org.vmqsc.plugin.kvm.HostAgents;
import org.vmqsc.plugin.kvm.RealKvmHost;
import org.vmqsc.server.service.RecoveryPolicy;
import org.vmqsc.server.service.Views.RecoveryEventView;
import org.vmqsc.server.service.memory.InMemoryProtectionService;
import org.vmqsc.server.service.PageRequest;

/**
 * The plugin's whole recovery with real guests, CloudStack's managers being Mockito's: the management server's
 * manager (vmqsc's tables in memory) ticks two KVM hosts, whose agents run the KVM wrappers over real libvirt, as
 * {@code HostAgents} makes them; three QEMU guests with a NIC on their host's relay bridge and a qcow2 volume send
 * numbered messages to each other and record them on their volumes. Host 1 dies (its agent closed, its domains
 * destroyed, its commands unanswered) and CloudStack declares it Down; the plugin fences it, "CloudStack" starts
 * its VMs on host 2 (the VM manager's mock starts their domains there, on the same volumes), and the restore
 * orders bring back their memory and volumes from the checkpoints. The guests' own records on their volumes judge
 * the run: no orphan, no loss, no duplicate on any channel, and they go on counting. Needs root, libvirt and the
 * lab guest with its messaging program (skipped with the reason elsewhere, a failure with {@code CI=true}).
 */
public class RealGuestPluginRecoveryTest {

  private static final String SUFFIX = Long.toString(ProcessHandle.current().pid() % 100_000);
  private static final String[] BRIDGES = {"vqra" + SUFFIX, "vqrb" + SUFFIX};
  private static final String[] IPS = {"127.0.0.11", "127.0.0.12"};
  private static final String NETWORK = "0c5d7e9a-0000-4000-8000-0000000000ee";
  private static final int GUESTS = 3;
  /** Guests 0 and 1 run on host 1 (index 0), guest 2 on host 2. */
  private static final int[] HOME = {0, 0, 1};

  private final TemporaryFolder tmp = new TemporaryFolder();
  private final InMemoryProtectionService service = new InMemoryProtectionService();
  private final AgentManager agents = mock(AgentManager.class);
  private final EntityManager entities = mock(EntityManager.class);
  private final NetworkModel networks = mock(NetworkModel.class);
  private final VirtualMachineManager vmManager = mock(VirtualMachineManager.class);
  private final FenceBuilder fencer = mock(FenceBuilder.class);
  private final VmqscManagerImpl manager = new VmqscManagerImpl();
  private final LibvirtComputingResource resource = mock(LibvirtComputingResource.class);
  private final List<RealKvmHost> kvmHosts = new ArrayList<>();
  private final Set<Long> down = ConcurrentHashMap.newKeySet();
  /** Per VM number: its guest now, its volume, the host (index) CloudStack has it on. */
  private final Map<Integer, LabGuest> guests = new ConcurrentHashMap<>();
  private final Map<Integer, Path> volumes = new TreeMap<>();
  private final Map<Integer, Integer> hostOf = new ConcurrentHashMap<>();
  private final Host[] hosts = new Host[2];
  private Connect connect;
  private Path dir;
  private Listener listener;
  private String group;

  @BeforeClass public static void needsRootLibvirtAndTheLabGuest() {
    RealKvmHost.requireOrSkip("RealGuestPluginRecoveryTest");
  }

  @Before public void twoKvmHostsThreeGuestsAndTheManager() throws Exception {
    tmp.create();
    connect = LabGuest.connect();
    dir = LabDisk.directory("plugin-recovery");
    for (int h = 0; h < 2; h++) {
      hosts[h] = host(h + 1L, "host-" + (h + 1), IPS[h]);
      // One libvirt plays both hosts, whose relay bridges differ by name (in a cluster every host has the same one).
      String own = BRIDGES[h], other = BRIDGES[1 - h];
      kvmHosts.add(new RealKvmHost(tmp.newFolder("host" + h).toPath(), tmp.getRoot().toPath().resolve("stable"),
          connect, own, xml -> xml.replace("bridge='" + other + "'", "bridge='" + own + "'")));
    }
    Network relay = mock(Network.class);
    when(relay.getId()).thenReturn(900L);
    when(relay.getName()).thenReturn("vmqsc-relay");
    when(entities.findByUuid(Network.class, NETWORK)).thenReturn(relay);
    for (int vm = 0; vm < GUESTS; vm++) {
      volumes.put(vm, dir.resolve(name(vm) + ".qcow2"));
      hostOf.put(vm, HOME[vm]);
      virtualMachine(vm);
      guests.put(vm, startGuest(vm, HOME[vm], LabGuest.DataDisk.fresh(volumes.get(vm))));
    }
    // CloudStack starts a VM a recovery moves on the host its plan names: here, its domain on that host's bridge.
    doAnswer(call -> {
      String uuid = call.getArgument(0);
      int vm = numberOf(uuid);
      long hostId = ((com.cloud.deploy.DataCenterDeployment) call.getArgument(2)).getHostId();
      int h = (int) hostId - 1;
      guests.put(vm, startGuest(vm, h, LabGuest.DataDisk.existing(volumes.get(vm))));
      hostOf.put(vm, h);
      return null;
    }).when(vmManager).advanceStart(anyString(), any(), any(), any());
    when(fencer.fenceOff(any(), any())).thenReturn(true);
    when(agents.send(anyLong(), any(Command.class))).thenAnswer(call -> route(call.getArgument(0),
        call.getArgument(1)));
    when(agents.registerForHostEvents(any(), anyBoolean(), anyBoolean(), anyBoolean())).thenReturn(7);

    inject("agentManager", agents);
    inject("entities", entities);
    inject("vmManager", vmManager);
    inject("networkModel", networks);
    inject("cloudEvents", mock(org.vmqsc.plugin.server.host.CloudEvents.class));
    manager.setFenceBuilders(List.of(fencer));
    manager.setRelayNetworks(zone -> NETWORK);
    manager.startOn(service);
    ArgumentCaptor<Listener> registered = ArgumentCaptor.forClass(Listener.class);
    org.mockito.Mockito.verify(agents).registerForHostEvents(registered.capture(), anyBoolean(), anyBoolean(),
        anyBoolean());
    listener = registered.getValue();
    for (Host h : hosts) listener.processConnect(h, null, false);
  }

  @After public void tearDown() throws Exception {
    manager.stop();
    destroyGuests();
    for (RealKvmHost h : kvmHosts) h.close();
    if (connect != null) connect.close();
    if (dir != null) {
      try (var files = Files.walk(dir)) {
        for (Path p : (Iterable<Path>) files.sorted(java.util.Comparator.reverseOrder())::iterator) {
          Files.deleteIfExists(p);
        }
      }
    }
    tmp.delete();
  }

  @Test public void aDeadHostsGuestsComeBackOnTheOtherHostAndTheirRecordsShowNoOrphanNoLossNoDuplicate()
      throws Exception {
    awaitSending(Duration.ofMinutes(2)); // protection starts on running VMs, whose NICs are up
    group = service.createGroup("real", 2000, RecoveryPolicy.AUTOMATIC, null).uuid();
    for (int vm = 0; vm < GUESTS; vm++) service.addVm(group, name(vm), "SI", hosts[HOME[vm]].getUuid());
    Map<String, Long> beforeEnable = lastSent();
    manager.cluster().enable(group);
    Map<String, Long> afterBoot = lastSentOnceEachGuestRanOn(Duration.ofMinutes(1));
    // Before its boot checkpoint a guest's frames pass its host's bridge unprotected: to a guest on the same host
    // they arrive, to the other host they are lost (the two bridges here are not joined, as a relay network's VLAN
    // joins them in a zone). Same-host channels are judged from the enable on; cross-host ones from the first sends
    // after the boot checkpoints (a guest paused for its boot between a send and its record prints it after).
    Map<String, Long> beforeProtection = new java.util.HashMap<>();
    for (int from = 0; from < GUESTS; from++) {
      for (int to = 0; to < GUESTS; to++) {
        String channel = from + ">" + to;
        beforeProtection.put(channel, (HOME[from] == HOME[to] ? beforeEnable : afterBoot).getOrDefault(channel, 0L));
      }
    }

    Thread.sleep(25_000); // checkpoints every 2 s, ticks every 5 s: the line moves several times
    System.out.println("RealGuestPluginRecoveryTest: before the failure, sends " + sends());

    // Host 1 dies: its agent stops, its domains are gone, it answers nothing; CloudStack finds it Down.
    down.add(1L);
    kvmHosts.get(0).agent.close();
    for (int vm = 0; vm < GUESTS; vm++) if (HOME[vm] == 0) kvmHosts.get(0).destroy(name(vm));
    listener.processDisconnect(1L, Status.Down);
    RecoveryEventView recovery = awaitRecovery(Duration.ofMinutes(4));
    System.out.println("RealGuestPluginRecoveryTest: " + recovery);
    assertEquals("SUCCEEDED", recovery.state().name());
    Map<Integer, Integer> atRecovery = sends();
    Thread.sleep(20_000);
    Map<Integer, Integer> atEnd = sends();
    System.out.println("RealGuestPluginRecoveryTest: sends at the recovery " + atRecovery + ", at the end " + atEnd);

    manager.stop();
    for (RealKvmHost h : kvmHosts) h.agent.awaitCheckpoints(Duration.ofMinutes(1));
    destroyGuests();
    Map<Integer, List<GuestRecords.Entry>> histories = new TreeMap<>();
    for (int vm = 0; vm < GUESTS; vm++) {
      List<GuestRecords.Entry> h = new ArrayList<>();
      for (GuestRecords.Record r : LabGuest.readDiskRecords(volumes.get(vm))) h.add(r.entry());
      histories.put(vm, h);
    }
    GuestVerdict.Result verdict = GuestVerdict.judge(sinceProtected(histories, beforeProtection));
    System.out.println("RealGuestPluginRecoveryTest: " + verdict + "; per channel sent/received " + perChannel(histories));
    if (!verdict.faults().isEmpty()) {
      histories.forEach((vm, h) -> System.out.println("  VM " + vm + ": " + h));
    }
    assertEquals("the guests' records", List.of(), verdict.faults());
    assertTrue("every channel carried messages: " + verdict, verdict.channels() == 6 && verdict.receipts() > 50);
    for (int vm = 0; vm < GUESTS; vm++) {
      assertTrue("guest " + vm + " goes on counting", atEnd.get(vm) > atRecovery.get(vm));
    }
    perChannel(histories).forEach((channel, sentReceived) -> {
      String[] n = sentReceived.split("/");
      assertTrue("messages flow on " + channel + " after the recovery too (sent/received " + sentReceived + ")",
          Long.parseLong(n[1]) * 2 > Long.parseLong(n[0]));
    });
  }

  /**
   * The histories without what the guests sent before their group was protected: they ran and sent before it, as
   * CloudStack VMs do, through their bridges directly (no relay isolated the ports yet), and what was sent then
   * is not the protocol's to deliver. On each channel, the sends up to {@code beforeProtection}'s and their
   * receipts are left out; everything after is judged.
   */
  private static Map<Integer, List<GuestRecords.Entry>> sinceProtected(Map<Integer, List<GuestRecords.Entry>> all,
                                                                       Map<String, Long> beforeProtection) {
    Map<Integer, List<GuestRecords.Entry>> out = new TreeMap<>();
    all.forEach((vm, h) -> out.put(vm, h.stream()
        .filter(e -> e.seq() > beforeProtection.getOrDefault(e.from() + ">" + e.to(), 0L)).toList()));
    return out;
  }

  /** Per channel ("from>to"), how many messages its sender's and its receiver's final records hold. */
  private static Map<String, String> perChannel(Map<Integer, List<GuestRecords.Entry>> histories) {
    Map<String, long[]> counts = new TreeMap<>();
    histories.values().forEach(h -> h.forEach(e -> counts.computeIfAbsent(e.from() + ">" + e.to(),
        k -> new long[2])[e.kind() == GuestRecords.Kind.SEND ? 0 : 1]++));
    Map<String, String> out = new TreeMap<>();
    counts.forEach((k, v) -> out.put(k, v[0] + "/" + v[1]));
    return out;
  }

  /** Per channel ("from>to"), the last message its sender printed it sent. */
  private Map<String, Long> lastSent() throws IOException {
    Map<String, Long> out = new java.util.HashMap<>();
    for (LabGuest g : guests.values()) {
      for (GuestRecords.Entry e : g.sends()) out.merge(e.from() + ">" + e.to(), e.seq(), Math::max);
    }
    return out;
  }

  /**
   * The last message per channel once every guest recorded a send after this call: a guest paused for its boot
   * checkpoint between a send and its record has run on and recorded it.
   */
  private Map<String, Long> lastSentOnceEachGuestRanOn(Duration bound) throws Exception {
    Map<Integer, Integer> now = sends();
    long deadline = System.nanoTime() + bound.toNanos();
    while (sends().entrySet().stream().anyMatch(e -> e.getValue() <= now.get(e.getKey()))) {
      if (System.nanoTime() > deadline) throw new AssertionError("the guests did not run on: " + sends());
      Thread.sleep(200);
    }
    return lastSent();
  }

  // ---- the hosts -------------------------------------------------------------------------------------------------

  private static final Object ROUTE = new Object();

  /** CloudStack's agent manager: a command to a live host runs its KVM wrapper there, as the agent would. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private Answer route(long hostId, Command command) throws Exception {
    if (down.contains(hostId)) throw new AgentUnavailableException("host " + hostId + " is Down", hostId);
    Class<?> wrapper = Class.forName("com.cloud.hypervisor.kvm.resource.wrapper.Vmqsc"
        + command.getClass().getSimpleName() + "Wrapper");
    synchronized (ROUTE) {
      HostAgents.install(kvmHosts.get((int) hostId - 1).agent);
      return (Answer) ((CommandWrapper) wrapper.getDeclaredConstructor().newInstance()).execute(command, resource);
    }
  }

  private Host host(long id, String uuid, String ip) {
    Host h = mock(Host.class);
    when(h.getId()).thenReturn(id);
    when(h.getUuid()).thenReturn(uuid);
    when(h.getName()).thenReturn(uuid);
    when(h.getHypervisorType()).thenReturn(HypervisorType.KVM);
    when(h.getPrivateIpAddress()).thenReturn(ip);
    when(h.getClusterId()).thenReturn(1L);
    when(h.getPodId()).thenReturn(1L);
    when(h.getDataCenterId()).thenReturn(1L);
    when(h.getStatus()).thenReturn(Status.Up);
    when(entities.findByUuid(Host.class, uuid)).thenReturn(h);
    when(entities.findById(Host.class, id)).thenReturn(h);
    return h;
  }

  // ---- the guests ----------------------------------------------------------------------------------------------

  private static String name(int vm) {
    return "vmqsc-pr-" + SUFFIX + "-" + vm;
  }

  private static int numberOf(String uuid) {
    return Integer.parseInt(uuid.substring(uuid.lastIndexOf('-') + 1));
  }

  /** CloudStack's record of VM {@code vm}: Running on the host it last started on, with a NIC on the relay. */
  private void virtualMachine(int vm) {
    VirtualMachine v = mock(VirtualMachine.class);
    when(v.getId()).thenReturn(100L + vm);
    when(v.getUuid()).thenReturn(name(vm));
    when(v.getInstanceName()).thenReturn(name(vm));
    when(v.getDataCenterId()).thenReturn(1L);
    when(v.getState()).thenReturn(VirtualMachine.State.Running);
    when(v.getHostId()).thenAnswer(i -> hostOf.get(vm) + 1L);
    when(v.isHaEnabled()).thenReturn(false);
    when(entities.findByUuid(VirtualMachine.class, name(vm))).thenReturn(v);
    when(entities.findById(VirtualMachine.class, 100L + vm)).thenReturn(v);
    Nic nic = mock(Nic.class);
    when(nic.getMacAddress()).thenReturn(LabGuest.macOf(vm));
    when(networks.getNicInNetwork(100L + vm, 900L)).thenReturn(nic);
  }

  private LabGuest startGuest(int vm, int h, LabGuest.DataDisk disk) throws IOException {
    return LabGuest.start(connect, new LabGuest.Spec(name(vm), 96, 4, 64, 0.5)
        .withNic(LabGuest.Nic.onBridge(vm, BRIDGES[h]))
        .withMessaging(new LabGuest.Messaging(vm, GUESTS, 5))
        .withDataDisk(disk));
  }

  /** Until every guest has sent a message (its program runs, its NIC is up). */
  private void awaitSending(Duration bound) throws Exception {
    long deadline = System.nanoTime() + bound.toNanos();
    while (sends().values().stream().anyMatch(n -> n < 3)) {
      if (System.nanoTime() > deadline) throw new AssertionError("the guests did not start sending: " + sends());
      Thread.sleep(500);
    }
  }

  /**
   * Destroys every guest through the driver of the host CloudStack has it on (libvirtd 9.0 exits when a domain is
   * destroyed under a snapshot's work; the driver waits for that work to end).
   */
  private void destroyGuests() throws IOException {
    for (int vm : guests.keySet()) kvmHosts.get(hostOf.get(vm)).destroy(name(vm));
  }

  private Map<Integer, Integer> sends() throws IOException {
    Map<Integer, Integer> out = new TreeMap<>();
    for (int vm = 0; vm < GUESTS; vm++) out.put(vm, guests.get(vm).sends().size());
    return out;
  }

  private RecoveryEventView awaitRecovery(Duration bound) throws Exception {
    long deadline = System.nanoTime() + bound.toNanos();
    while (System.nanoTime() < deadline) {
      List<RecoveryEventView> events = service.listRecoveryEvents(group, PageRequest.first(10)).items();
      for (RecoveryEventView e : events) {
        if (e.state().name().equals("SUCCEEDED") || e.state().name().equals("FAILED")) return e;
      }
      Thread.sleep(500);
    }
    throw new AssertionError("no recovery ended within " + bound);
  }

  private void inject(String field, Object value) throws Exception {
    Field f = VmqscManagerImpl.class.getDeclaredField(field);
    f.setAccessible(true);
    f.set(manager, value);
  }


}
