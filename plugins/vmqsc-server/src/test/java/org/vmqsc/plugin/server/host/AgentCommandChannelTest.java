package org.vmqsc.plugin.server.host;

import static org.vmqsc.plugin.server.host.CloudStackHosts.host;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import com.cloud.agent.AgentManager;
import com.cloud.agent.api.Command;
import com.cloud.host.Host;
import com.cloud.hypervisor.Hypervisor.HypervisorType;
import java.util.ArrayList;
import java.util.List;
import org.junit.Before;
import org.junit.Test;
import org.vmqsc.agent.wire.WireMessages.Deploy;
import org.vmqsc.agent.wire.WireMessages.GuestProfile;
import org.vmqsc.agent.wire.WireMessages.Member;
import org.vmqsc.plugin.command.DeployGroupCommand;
import org.vmqsc.plugin.command.VmqscAnswer;
import org.vmqsc.plugin.server.VmqscSettings;
import org.vmqsc.protocol.GroupConfig;
import org.vmqsc.protocol.VmClass;

/** What a deployment tells a host of its relay: a Xen host also how its relay in this server reaches its dom0. */
public class AgentCommandChannelTest {

  private final AgentManager agents = mock(AgentManager.class);
  private final List<DeployGroupCommand> sent = new ArrayList<>();
  private final KnownHosts hosts = new KnownHosts(4790, () -> "192.0.2.10");
  private final AgentCommandChannel channel = new AgentCommandChannel(agents, hosts, null, null, (g, vm) -> "vm-" + vm,
      g -> null);

  @Before public void hosts() throws Exception {
    when(agents.send(anyLong(), any(Command.class))).thenAnswer(call -> {
      DeployGroupCommand c = call.getArgument(1);
      sent.add(c);
      return VmqscAnswer.done(c, "{}");
    });
    hosts.connected(host(1, "kvm-1", HypervisorType.KVM));
    hosts.connected(host(2, "xen-2", HypervisorType.XenServer));
  }

  @Test public void aXenHostIsToldWhereItsRelayRunsAndHowItReachesItsDom0() {
    Deploy d = new Deploy("g", new GroupConfig(1000, List.of(VmClass.SI)), 0,
        List.of(new Member(0, "vm-0", "xen-2", "192.0.2.10:4791", "02:00:00:00:00:01")),
        new GuestProfile(0, 0, 0, 0), List.of(0));
    channel.deploy("xen-2", d);
    channel.deploy("kvm-1", d);

    DeployGroupCommand xen = sent.get(0);
    assertEquals("192.0.2.10:4791", xen.getRelay());
    assertEquals("192.0.2.10:" + VmqscSettings.XEN_VXLAN_PORT.defaultValue(), xen.getXenVxlanEndpoint());
    assertEquals(Integer.valueOf(VmqscSettings.XEN_RELAY_VNI.defaultValue()), xen.getXenVni());
    assertEquals("the dom0's address", "10.0.0.2", xen.getXenDom0());

    DeployGroupCommand kvm = sent.get(1);
    assertEquals("10.0.0.1:4790", kvm.getRelay());
    assertNull("a KVM agent runs its own relay", kvm.getXenVxlanEndpoint());
  }
}
