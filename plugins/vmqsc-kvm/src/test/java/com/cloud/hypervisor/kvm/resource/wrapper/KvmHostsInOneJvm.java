package com.cloud.hypervisor.kvm.resource.wrapper;

import static org.junit.Assert.assertTrue;
import static org.mockito.Mockito.mock;

import com.cloud.agent.api.Answer;
import com.cloud.hypervisor.kvm.resource.LibvirtComputingResource;
import com.cloud.resource.CommandWrapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.rules.TemporaryFolder;
import org.vmqsc.agent.sim.SimulatorDriver;
import org.vmqsc.agent.wire.Wire;
import org.vmqsc.agent.wire.WireMessages.GroupRef;
import org.vmqsc.agent.wire.WireMessages.Report;
import org.vmqsc.agent.wire.WireMessages.Reports;
import org.vmqsc.plugin.command.CheckpointTickCommand;
import org.vmqsc.plugin.command.DeployGroupCommand;
import org.vmqsc.plugin.command.VmqscAnswer;
import org.vmqsc.plugin.command.VmqscCommand;
import org.vmqsc.plugin.host.CloudStackDispatcher;
import org.vmqsc.plugin.host.HostAgent;
import org.vmqsc.plugin.host.TestClock;
import org.vmqsc.plugin.host.TestHost;
import org.vmqsc.plugin.host.TwoVmGroup;
import org.vmqsc.plugin.kvm.HostAgents;

/**
 * Two KVM hosts' agents in one JVM, their wrappers run as CloudStack's agent runs them (a command in, an answer
 * out), with the simulator driver in place of libvirt: real checkpoints into each host's staging store, flushed to
 * one shared stable store. The host clock is the test's. Each host checkpoints on two threads, whatever this
 * machine's cores, and its driver takes faults on demand.
 */
abstract class KvmHostsInOneJvm {

  static final String GROUP = TwoVmGroup.GROUP;
  static final String VM0 = TwoVmGroup.VM0;
  static final String VM1 = TwoVmGroup.VM1;

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  final TestClock clock = new TestClock(1_800_000_000_000L);
  private final LibvirtComputingResource resource = mock(LibvirtComputingResource.class);
  Host a;
  Host b;

  /** One KVM host: its simulated guests behind a fault injector, and what vmqsc-host's {@link TestHost} runs. */
  final class Host {
    final SimulatorDriver driver = new SimulatorDriver();
    final HeldOrFailingDriver faults = new HeldOrFailingDriver(driver);
    final TestHost host;
    final HostAgent agent;

    Host(String name) throws IOException {
      host = new TestHost(tmp.getRoot().toPath(), name, clock, faults, 2);
      agent = host.agent;
    }

    <C extends VmqscCommand> VmqscAnswer run(CommandWrapper<C, Answer, LibvirtComputingResource> wrapper, C command) {
      HostAgents.install(agent);
      return (VmqscAnswer) wrapper.execute(command, resource);
    }

    /** {@code command} through CloudStack's own dispatcher (see {@link CloudStackDispatcher}), as the agent runs it. */
    VmqscAnswer dispatch(Object dispatcher, VmqscCommand command) throws ReflectiveOperationException {
      HostAgents.install(agent);
      return (VmqscAnswer) CloudStackDispatcher.execute(dispatcher, command, resource);
    }
  }

  @Before
  public void setUpHosts() throws IOException {
    a = new Host("a");
    b = new Host("b");
  }

  @After
  public void tearDownHosts() throws InterruptedException {
    a.host.close();
    b.host.close();
    HostAgents.install(null);
  }

  /** Ticks until {@code vms} stable checkpoints at {@code index} were reported; returns every report seen. */
  List<Report> tickUntilStable(Host host, long index, int vms) throws InterruptedException {
    return tickUntil(host, seen -> seen.stream()
        .filter(r -> r.boundary() != null && r.stable() && r.boundary().index() == index).count() == vms,
        vms + " stable checkpoints at " + index);
  }

  List<Report> tickUntil(Host host, Predicate<List<Report>> done, String what) throws InterruptedException {
    return tickUntil(host, GROUP, done, what);
  }

  /** Ticks {@code group} (every 10 ms, for up to 30 s) until the reports seen meet {@code done}; returns them all. */
  List<Report> tickUntil(Host host, String group, Predicate<List<Report>> done, String what)
      throws InterruptedException {
    List<Report> seen = new ArrayList<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      seen.addAll(tick(host, group).batch());
      if (done.test(seen)) return seen;
      Thread.sleep(10);
    }
    throw new AssertionError("no " + what + " after 30 s: " + seen);
  }

  Reports tick(Host host) {
    return tick(host, GROUP);
  }

  Reports tick(Host host, String group) {
    VmqscAnswer answer = host.run(new VmqscCheckpointTickCommandWrapper(),
        new CheckpointTickCommand(group, json(new GroupRef(group))));
    assertTrue(answer.getDetails(), answer.getResult());
    return Wire.GSON.fromJson(answer.getBody(), Reports.class);
  }

  /** Starts both VMs' guests on host a and deploys the group there (both boot), its clock at boundary 0. */
  void bootBothOnA() {
    a.driver.start(VM0, 64, 0.75, 1);
    a.driver.start(VM1, 64, 0.75, 2);
    VmqscAnswer deployed = a.run(new VmqscDeployGroupCommandWrapper(), deploy("host-a", List.of(0, 1)));
    assertTrue(deployed.getDetails(), deployed.getResult());
  }

  DeployGroupCommand deploy(String host, List<Integer> boot) {
    return deploy(GROUP, host, boot);
  }

  DeployGroupCommand deploy(String group, String host, List<Integer> boot) {
    return TwoVmGroup.deploy(group, host, boot, clock.millis());
  }

  static String json(Object o) {
    return TwoVmGroup.json(o);
  }
}
