package com.cloud.hypervisor.xenserver.resource.wrapper.xenbase;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import com.cloud.agent.api.Answer;
import com.cloud.hypervisor.xenserver.resource.CitrixResourceBase;
import com.cloud.hypervisor.xenserver.resource.XsHost;
import com.cloud.resource.CommandWrapper;
import com.cloud.resource.ResourceWrapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.vmqsc.agent.sim.SimulatorDriver;
import org.vmqsc.agent.wire.Wire;
import org.vmqsc.agent.wire.WireMessages.GroupRef;
import org.vmqsc.agent.wire.WireMessages.Report;
import org.vmqsc.agent.wire.WireMessages.Reports;
import org.vmqsc.agent.wire.WireMessages.RestoreOrder;
import org.vmqsc.plugin.command.CheckpointTickCommand;
import org.vmqsc.plugin.command.DeployGroupCommand;
import org.vmqsc.plugin.command.RestoreVmCommand;
import org.vmqsc.plugin.command.SnapshotHostCommand;
import org.vmqsc.plugin.command.VmqscAnswer;
import org.vmqsc.plugin.command.VmqscCommand;
import org.vmqsc.plugin.host.CloudStackDispatcher;
import org.vmqsc.plugin.host.PluginCommands;
import org.vmqsc.plugin.host.TestClock;
import org.vmqsc.plugin.host.TestHost;
import org.vmqsc.plugin.host.TwoVmGroup;
import org.vmqsc.plugin.xen.XenHostAgents;
import org.vmqsc.protocol.BoundaryRecord;
import org.vmqsc.protocol.recovery.HostSnapshot;
import org.vmqsc.protocol.recovery.VmRestore;

/**
 * The Xen command wrappers as CloudStack's management server runs them for its Xen resources (a command and the
 * host's resource in, an answer out): each resource's orders reach the host node of that Xen host, one per host in
 * the same process, with the simulator driver in place of XAPI (agent-ext's XenDriverTest covers XAPI itself).
 */
public class VmqscXenWrappersTest {

  private static final String GROUP = TwoVmGroup.GROUP;
  private static final String VM0 = TwoVmGroup.VM0;
  private static final String VM1 = TwoVmGroup.VM1;

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private final TestClock clock = new TestClock(1_800_000_000_000L);
  private final Map<String, XenHost> hosts = new HashMap<>();
  private XenHost a;
  private XenHost b;

  /** One Xen host: CloudStack's resource for it, and what the management server runs for it (vmqsc-host's TestHost). */
  private final class XenHost {
    final CitrixResourceBase resource = mock(CitrixResourceBase.class);
    final SimulatorDriver driver = new SimulatorDriver();
    final TestHost host;

    XenHost(String xapiUuid) throws IOException {
      XsHost xs = new XsHost();
      xs.setUuid(xapiUuid);
      when(resource.getHost()).thenReturn(xs);
      host = new TestHost(tmp.getRoot().toPath(), xapiUuid, clock, driver, 2);
      hosts.put(xapiUuid, this);
    }

    <C extends VmqscCommand> VmqscAnswer run(CommandWrapper<C, Answer, CitrixResourceBase> wrapper, C command) {
      return (VmqscAnswer) wrapper.execute(command, resource);
    }
  }

  @Before
  public void setUp() throws IOException {
    a = new XenHost("0d2a5c3e-xen-host-a");
    b = new XenHost("0d2a5c3e-xen-host-b");
    XenHostAgents.install((uuid, connections) -> hosts.get(uuid).host.agent);
  }

  @After
  public void tearDown() throws InterruptedException {
    a.host.close();
    b.host.close();
    XenHostAgents.install(null);
  }

  private static final List<Class<?>> WRAPPERS = PluginCommands.wrappersIn("com.cloud.hypervisor.xenserver.resource.wrapper.xenbase");

  @Test
  public void everyWrapperIsWhereCloudStacksXenResourceLooksAndHandlesItsCommand() throws Exception {
    for (Class<?> w : WRAPPERS) {
      assertEquals("com.cloud.hypervisor.xenserver.resource.wrapper.xenbase", w.getPackageName());
      assertTrue(CommandWrapper.class.isAssignableFrom(w));
      ResourceWrapper handles = w.getAnnotation(ResourceWrapper.class);
      assertNotNull(w + " is not annotated", handles);
      assertEquals(w.getSimpleName(), "Vmqsc" + handles.handles().getSimpleName() + "Wrapper");
      assertEquals(CitrixResourceBase.class, w.getMethod("execute", handles.handles(), CitrixResourceBase.class)
          .getParameterTypes()[1]);
      w.getDeclaredConstructor().newInstance(); // CloudStack instantiates them without arguments
    }
  }

  /**
   * CloudStack's own dispatcher for its Xen resources ({@code CitrixRequestWrapper}, which finds wrappers by scanning
   * their package when it loads) hands every vmqsc command to vmqsc's wrapper, and a tick through it reaches the
   * host's node. That class is in CloudStack's jars only: the test runs under {@code -Pcloudstack} and skips, saying
   * why, against the declarations.
   */
  @Test
  public void cloudStacksOwnXenDispatcherHandsEveryCommandToItsWrapper() throws Exception {
    Object dispatcher = CloudStackDispatcher.instance(
        "com.cloud.hypervisor.xenserver.resource.wrapper.xenbase.CitrixRequestWrapper");
    CloudStackDispatcher.assertFinds(dispatcher, CitrixResourceBase.class, WRAPPERS);
    a.driver.start(VM0, 64, 0.75, 1);
    assertTrue(a.run(new VmqscDeployGroupCommandWrapper(), deploy("host-a", List.of(0))).getResult());
    VmqscAnswer tick = (VmqscAnswer) CloudStackDispatcher.execute(dispatcher,
        new CheckpointTickCommand(GROUP, json(new GroupRef(GROUP))), a.resource);
    assertTrue(tick.getDetails(), tick.getResult());
    assertEquals("host a's node answered", "host-a", Wire.GSON.fromJson(tick.getBody(), Reports.class).hostUuid());
  }

  @Test
  public void eachXenHostsOrdersReachItsOwnNodeInTheOneManagementServer() throws Exception {
    a.driver.start(VM0, 64, 0.75, 1);
    a.driver.start(VM1, 64, 0.75, 2);
    assertTrue(a.run(new VmqscDeployGroupCommandWrapper(), deploy("host-a", List.of(0, 1))).getResult());
    assertTrue(b.run(new VmqscDeployGroupCommandWrapper(), deploy("host-b", List.of())).getResult());
    clock.advance(1000); // base boundary 1 on the hosts' clock
    List<Report> reports = tickUntilStable(a, 1, 2);
    BoundaryRecord vm0AtOne = reports.stream().map(Report::boundary)
        .filter(r -> r != null && r.vm() == 0 && r.index() == 1).findFirst().orElseThrow();
    byte[] memoryAtOne = a.driver.guest(VM0).memoryForTest();
    assertEquals("host b runs none of the group's VMs", List.of(), snapshot(b).running());
    assertEquals(List.of(0, 1), snapshot(a).running());

    // Host a fails; the manager restores VM 0 on host b from its stable checkpoint at index 1.
    a.driver.guest(VM0).rewrite(0, 8);
    b.driver.start(VM0, 64, 0.75, 99);
    VmRestore restore = new VmRestore(0, 1, vm0AtOne, List.of(), vm0AtOne, List.of());
    VmqscAnswer restored = b.run(new VmqscRestoreVmCommandWrapper(), new RestoreVmCommand(GROUP,
        json(new RestoreOrder(GROUP, restore, VM0 + "/" + GROUP + "-0-1", List.of()))));
    assertTrue(restored.getDetails(), restored.getResult());
    assertArrayEquals(memoryAtOne, b.driver.guest(VM0).memoryForTest());
    assertEquals(List.of(0), snapshot(b).running());
  }

  @Test
  public void aResourceThatDoesNotKnowItsHostGetsAFailedAnswerWithTheReason() {
    CitrixResourceBase unconfigured = mock(CitrixResourceBase.class);
    when(unconfigured.getHost()).thenReturn(new XsHost());
    VmqscAnswer answer = (VmqscAnswer) new VmqscCheckpointTickCommandWrapper()
        .execute(new CheckpointTickCommand(GROUP, json(new GroupRef(GROUP))), unconfigured);
    assertFalse(answer.getResult());
    assertTrue(answer.getDetails(), answer.getDetails().contains("does not know its host's uuid"));
  }

  private HostSnapshot snapshot(XenHost host) {
    return Wire.GSON.fromJson(host.run(new VmqscSnapshotHostCommandWrapper(),
        new SnapshotHostCommand(GROUP, json(new GroupRef(GROUP)))).getBody(), HostSnapshot.class);
  }

  /** Ticks until {@code vms} stable checkpoints at {@code index} were reported; returns every report seen. */
  private List<Report> tickUntilStable(XenHost host, long index, int vms) throws InterruptedException {
    List<Report> seen = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      VmqscAnswer answer = host.run(new VmqscCheckpointTickCommandWrapper(),
          new CheckpointTickCommand(GROUP, json(new GroupRef(GROUP))));
      assertTrue(answer.getDetails(), answer.getResult());
      seen.addAll(Wire.GSON.fromJson(answer.getBody(), Reports.class).batch());
      long stable = seen.stream().filter(r -> r.boundary() != null && r.stable() && r.boundary().index() == index)
          .count();
      if (stable == vms) return seen;
      Thread.sleep(25);
    }
    throw new AssertionError("no stable checkpoints at " + index + " after 5 s: " + seen);
  }

  private DeployGroupCommand deploy(String host, List<Integer> boot) {
    return TwoVmGroup.deploy(GROUP, host, boot, clock.millis());
  }

  private static String json(Object o) {
    return TwoVmGroup.json(o);
  }
}
