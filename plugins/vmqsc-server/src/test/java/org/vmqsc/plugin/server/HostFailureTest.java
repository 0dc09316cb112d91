package org.vmqsc.plugin.server;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyBoolean;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.ArgumentMatchers.isA;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;
import static org.mockito.ArgumentMatchers.isNull;

import com.cloud.agent.AgentManager;
import com.cloud.agent.Listener;
import com.cloud.agent.api.Command;
import com.cloud.exception.AgentUnavailableException;
import com.cloud.ha.FenceBuilder;
import com.cloud.host.Host;
import com.cloud.host.Status;
import com.cloud.hypervisor.Hypervisor.HypervisorType;
import com.cloud.utils.db.EntityManager;
import com.cloud.vm.VirtualMachine;
import com.cloud.vm.VirtualMachineManager;
import com.cloud.deploy.DeploymentPlan;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.mockito.ArgumentCaptor;
import org.mockito.InOrder;
import org.vmqsc.agent.wire.Wire;
import org.vmqsc.plugin.server.host.CloudEvents;
import org.vmqsc.plugin.command.FreezeGroupCommand;
import org.vmqsc.plugin.command.DeployGroupCommand;
import org.vmqsc.plugin.command.RestoreVmCommand;
import org.vmqsc.plugin.command.SnapshotHostCommand;
import org.vmqsc.plugin.command.VmqscAnswer;
import org.vmqsc.plugin.command.VmqscCommand;
import org.vmqsc.protocol.BoundaryKind;
import org.vmqsc.protocol.recovery.HostSnapshot;
import org.vmqsc.server.service.BoundaryReport;
import org.vmqsc.server.service.HostReport;
import org.vmqsc.server.service.PageRequest;
import org.vmqsc.server.service.RecoveryPolicy;
import org.vmqsc.server.service.RecoveryState;
import org.vmqsc.server.service.ServiceException;
import org.vmqsc.server.service.Views.RecoveryEventView;
import org.vmqsc.server.service.memory.InMemoryProtectionService;

/**
 * A KVM host CloudStack finds Down: the manager's listener takes the verdict, CloudStack's fencer fences every
 * protected VM of the host before any order, and the recovery restores the lost VMs on the surviving host, in the
 * coordinator's order (freeze, snapshot, restore). CloudStack's agent manager and fencer are mocks; the protection
 * service is the real in-memory one.
 */
public class HostFailureTest {

  private static final String H1 = "host-1";
  private static final String H2 = "host-2";

  private final InMemoryProtectionService service = new InMemoryProtectionService();
  private final AgentManager agents = mock(AgentManager.class);
  private final EntityManager entities = mock(EntityManager.class);
  private final FenceBuilder fencer = mock(FenceBuilder.class);
  private final VirtualMachineManager vmManager = mock(VirtualMachineManager.class);
  private final CloudEvents cloudEvents = mock(CloudEvents.class);
  private final VmqscManagerImpl manager = new VmqscManagerImpl();
  private final List<VirtualMachine> vms = new ArrayList<>();
  private Listener listener;
  private String group;

  @Before
  public void setUp() throws Exception {
    inject("agentManager", agents);
    inject("entities", entities);
    inject("vmManager", vmManager);
    inject("cloudEvents", cloudEvents);
    manager.setFenceBuilders(List.of(fencer));
    Host h1 = host(1, H1);
    Host h2 = host(2, H2);
    when(agents.send(eq(1L), any(Command.class))).thenThrow(new AgentUnavailableException("Down", 1));
    when(agents.send(eq(2L), any(Command.class))).thenAnswer(call -> answerOfSurvivor(call.getArgument(1)));
    when(agents.registerForHostEvents(any(), anyBoolean(), anyBoolean(), anyBoolean())).thenReturn(42);

    group = service.createGroup("g", 1000, RecoveryPolicy.AUTOMATIC, null).uuid();
    for (int i = 0; i < 3; i++) {
      String vm = "vm-" + i;
      service.addVm(group, vm, "SI", i < 2 ? H1 : H2);
      VirtualMachine v = mock(VirtualMachine.class);
      when(v.getUuid()).thenReturn(vm);
      when(v.getState()).thenReturn(VirtualMachine.State.Running);
      when(v.getHostId()).thenReturn(i < 2 ? 1L : 2L);
      when(entities.findByUuid(VirtualMachine.class, vm)).thenReturn(v);
      vms.add(v);
    }
    service.startGroup(group, System.currentTimeMillis());
    for (int i = 0; i < 3; i++) {
      String host = i < 2 ? H1 : H2;
      service.report(new HostReport(host, group, List.of(new BoundaryReport("vm-" + i, BoundaryKind.CHECKPOINT, 0, 0,
          false, true, 4096, "stable/vm-" + i, "sha256:" + i, 0, 0, new long[3], new long[3])), List.of()));
    }

    manager.startOn(service);
    ArgumentCaptor<Listener> registered = ArgumentCaptor.forClass(Listener.class);
    verify(agents).registerForHostEvents(registered.capture(), eq(true), eq(false), eq(true));
    listener = registered.getValue();
    listener.processConnect(h1, null, false);
    listener.processConnect(h2, null, false);
  }

  @After
  public void tearDown() {
    manager.stop();
    verify(agents).unregisterForHostEvents(42);
  }

  @Test
  public void aDownHostIsFencedFirstThenItsVmsAreRestoredOnTheSurvivor() throws Exception {
    when(fencer.fenceOff(any(), any())).thenReturn(true);

    RecoveryEventView event = hostDown(1).get(0);

    assertEquals(RecoveryState.SUCCEEDED, event.state());
    assertEquals(List.of("vm-0", "vm-1"), event.rolledBack());
    InOrder order = inOrder(fencer, vmManager, agents);
    order.verify(fencer).fenceOff(eq(vms.get(0)), any());
    order.verify(fencer).fenceOff(eq(vms.get(1)), any());
    order.verify(agents).send(eq(2L), isA(FreezeGroupCommand.class));
    order.verify(agents).send(eq(2L), isA(SnapshotHostCommand.class));
    order.verify(vmManager).advanceStop("vm-0", true); // CloudStack's books: it ran on the fenced host
    ArgumentCaptor<DeploymentPlan> plan = ArgumentCaptor.forClass(DeploymentPlan.class);
    order.verify(vmManager).advanceStart(eq("vm-0"), any(), plan.capture(), isNull());
    assertEquals(Long.valueOf(2), plan.getValue().getHostId()); // Running on the survivor in CloudStack's database
    order.verify(agents).send(eq(2L), isA(RestoreVmCommand.class)); // then its memory from the checkpoint
    assertTrue("the survivor was deployed the group", !sent(DeployGroupCommand.class).isEmpty());
    for (DeployGroupCommand d : sent(DeployGroupCommand.class)) { // with its cluster's storage settings
      assertEquals(VmqscSettings.STAGING_DIRECTORY.defaultValue(), d.getStagingDirectory());
      assertEquals(VmqscSettings.STABLE_STORAGE.defaultValue(), d.getStableStorage());
      assertEquals(Long.valueOf(VmqscSettings.FLUSH_BANDWIDTH.defaultValue()), d.getFlushBandwidth());
      assertEquals(Long.valueOf(VmqscSettings.LEASE_MS.defaultValue()), d.getLeaseMillis());
    }
    verify(fencer, never()).fenceOff(eq(vms.get(2)), any()); // it runs on the survivor
    assertEquals(2, sent(RestoreVmCommand.class).size());
    assertEquals(H2, service.members(group).get(0).hostUuid());
    verify(cloudEvents).recovery(true, "vmqsc recovered protection group g after host " + H1 + " went Down: "
        + event.outcome()); // in CloudStack's events: no API call's job records an automatic recovery
  }

  @Test
  public void aVmIsRestoredOnlyInItsOwnCluster() throws Exception {
    when(fencer.fenceOff(any(), any())).thenReturn(true);
    inCluster(1, 10L);
    inCluster(2, 10L);
    Host h3 = host(3, "host-3"); // idle, so the least loaded, but its cluster cannot reach the VMs' disks
    when(h3.getClusterId()).thenReturn(20L);
    when(agents.send(eq(3L), any(Command.class))).thenAnswer(call -> answerOf("host-3", call.getArgument(1)));
    listener.processConnect(h3, null, false);

    RecoveryEventView event = hostDown(1).get(0);

    assertEquals(RecoveryState.SUCCEEDED, event.state());
    verify(agents, never()).send(eq(3L), isA(RestoreVmCommand.class));
    assertEquals(H2, service.members(group).get(0).hostUuid());
    assertEquals(H2, service.members(group).get(1).hostUuid());
  }

  @Test
  public void withNoLiveHostInTheirClusterTheRecoveryFailsAndSaysWhy() throws Exception {
    when(fencer.fenceOff(any(), any())).thenReturn(true);
    inCluster(1, 10L);
    inCluster(2, 20L);

    RecoveryEventView event = hostDown(1).get(0);

    assertEquals(RecoveryState.FAILED, event.state());
    assertEquals("tried once: a retry at once would find no other host", 1,
        service.listRecoveryEvents(group, PageRequest.first(10)).total());
    assertTrue(event.outcome(), event.outcome().contains("no live host can run VM 0 (vm-0): none of [" + H2
        + "] can run it (not in its cluster)"));
    verify(agents, never()).send(anyLong(), isA(RestoreVmCommand.class));
    verify(vmManager, never()).advanceStart(any(), any(), any(), any());
    assertEquals("the VM stays where CloudStack has it", H1, service.members(group).get(0).hostUuid());
    verify(cloudEvents).recovery(eq(false),
        org.mockito.ArgumentMatchers.contains("none of [" + H2 + "] can run it (not in its cluster)"));
  }

  @Test
  public void withoutAFencersYesNothingIsRestored() throws Exception {
    when(fencer.fenceOff(any(), any())).thenReturn(false);

    assertTrue(hostDown(1).isEmpty());

    verify(cloudEvents).recovery(eq(false), org.mockito.ArgumentMatchers.contains("no fencer could fence VM vm-0"));
    verify(agents, never()).send(anyLong(), isA(RestoreVmCommand.class));
    verifyNoInteractions(vmManager);
    assertEquals(0, service.listRecoveryEvents(group, PageRequest.first(10)).total());
    assertEquals(H1, service.members(group).get(0).hostUuid());
  }

  @Test
  public void aHostOnlyDisconnectedOrInAlertStartsNoRecovery() throws Exception {
    listener.processDisconnect(1, Status.Alert);
    listener.processDisconnect(2, Status.Disconnected);
    verify(fencer, never()).fenceOff(any(), any());
    verify(agents, never()).send(anyLong(), any(Command.class));
  }

  @Test
  public void aGroupWithAnMiVmIsNotEnabled() {
    String mixed = service.createGroup("mixed", 1000, RecoveryPolicy.AUTOMATIC, null).uuid();
    service.addVm(mixed, "vm-10", "SI", H2);
    service.addVm(mixed, "vm-11", "MI_2", H2);
    try {
      manager.cluster().enable(mixed);
      fail("a CloudStack VM cannot be MI: its log cannot rebuild it");
    } catch (ServiceException e) {
      assertEquals(ServiceException.Reason.WRONG_STATE, e.reason());
      assertTrue(e.getMessage(), e.getMessage().contains("vm-11 is MI_2") && e.getMessage().contains("SI"));
    }
    assertNull("not started", service.group(mixed).startedMs());
  }

  @Test
  public void settingsAndCommandsAreHandedToCloudStack() {
    List<String> keys = new ArrayList<>();
    for (var k : manager.getConfigKeys()) keys.add(k.key());
    assertEquals(List.of("vmqsc.enabled", "vmqsc.default.base.period", "vmqsc.default.vm.class",
        "vmqsc.staging.directory", "vmqsc.stable.storage", "vmqsc.flush.bandwidth", "vmqsc.lease", "vmqsc.heartbeat",
        "vmqsc.checkpoints.kept.behind.line", "vmqsc.storage.grace", "vmqsc.domain.admins.enabled",
        "vmqsc.relay.network", "vmqsc.xen.relay.address", "vmqsc.xen.relay.vni", "vmqsc.xen.vxlan.port"), keys);
    assertEquals(14, manager.getCommands().size());
  }

  /** The listener hears CloudStack's Down verdict; the recovery runs on the manager's recovery thread. */
  private List<RecoveryEventView> hostDown(long hostId) throws Exception {
    listener.processDisconnect(hostId, Status.Down);
    // The same thread runs recoveries one at a time: this one has finished when a later task runs.
    java.util.concurrent.CompletableFuture<List<RecoveryEventView>> after = new java.util.concurrent.CompletableFuture<>();
    recoveries().execute(() -> after.complete(service.listRecoveryEvents(group, PageRequest.first(10)).items()));
    return after.get(30, java.util.concurrent.TimeUnit.SECONDS);
  }

  private java.util.concurrent.Executor recoveries() throws Exception {
    Field f = VmqscManagerImpl.class.getDeclaredField("recoveries");
    f.setAccessible(true);
    return (java.util.concurrent.Executor) f.get(manager);
  }

  private VmqscAnswer answerOfSurvivor(VmqscCommand command) {
    return answerOf(H2, command);
  }

  /** A live host's answers: H2 runs VM 2, any other host nothing. */
  private VmqscAnswer answerOf(String host, VmqscCommand command) {
    if (command instanceof SnapshotHostCommand) {
      HostSnapshot s = host.equals(H2)
          ? new HostSnapshot(H2, List.of(2), Map.of(2, new long[3]), Map.of(2, List.of()), Map.of())
          : new HostSnapshot(host, List.of(), Map.of(), Map.of(), Map.of());
      return VmqscAnswer.done(command, Wire.GSON.toJson(s));
    }
    return VmqscAnswer.done(command, "{}");
  }

  private void inCluster(long hostId, Long clusterId) {
    Host h = entities.findById(Host.class, hostId);
    when(h.getClusterId()).thenReturn(clusterId);
  }

  private <T extends VmqscCommand> List<T> sent(Class<T> type) throws Exception {
    ArgumentCaptor<Command> all = ArgumentCaptor.forClass(Command.class);
    verify(agents, org.mockito.Mockito.atLeastOnce()).send(anyLong(), all.capture());
    return all.getAllValues().stream().filter(type::isInstance).map(type::cast).toList();
  }

  private Host host(long id, String uuid) {
    Host h = mock(Host.class);
    when(h.getId()).thenReturn(id);
    when(h.getUuid()).thenReturn(uuid);
    when(h.getHypervisorType()).thenReturn(HypervisorType.KVM);
    when(h.getPrivateIpAddress()).thenReturn("10.0.0." + id);
    when(entities.findByUuid(Host.class, uuid)).thenReturn(h);
    when(entities.findById(Host.class, id)).thenReturn(h);
    return h;
  }

  private void inject(String field, Object value) throws Exception {
    Field f = VmqscManagerImpl.class.getDeclaredField(field);
    f.setAccessible(true);
    f.set(manager, value);
  }
}
