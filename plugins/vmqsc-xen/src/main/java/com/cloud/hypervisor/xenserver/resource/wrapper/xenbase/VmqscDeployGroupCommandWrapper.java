package com.cloud.hypervisor.xenserver.resource.wrapper.xenbase;

import com.cloud.agent.api.Answer;
import com.cloud.hypervisor.xenserver.resource.CitrixResourceBase;
import com.cloud.resource.CommandWrapper;
import com.cloud.resource.ResourceWrapper;
import java.time.Duration;
import org.vmqsc.agent.wire.WireMessages.Deploy;
import org.vmqsc.plugin.command.DeployGroupCommand;
import org.vmqsc.plugin.command.VmqscAnswer;
import org.vmqsc.plugin.host.HostStorage;
import org.vmqsc.plugin.xen.XenHostAgents;
import org.vmqsc.plugin.xen.XenRelay;

/** Sets the group's schedule on this host and starts its VMs' protection here. */
@ResourceWrapper(handles = DeployGroupCommand.class)
public final class VmqscDeployGroupCommandWrapper extends CommandWrapper<DeployGroupCommand, Answer, CitrixResourceBase> {

  @Override public Answer execute(DeployGroupCommand command, CitrixResourceBase resource) {
    if (resource.getHost() != null && resource.getHost().getUuid() != null) {
      try {
        XenHostAgents.configure(resource.getHost().getUuid(), HostStorage.of(command, HostStorage.DEFAULTS),
            XenRelay.of(command));
      } catch (RuntimeException e) {
        return VmqscAnswer.refused(command, e.getMessage());
      }
    }
    return VmqscOrders.run(command, resource, Deploy.class, (agent, d) -> {
      if (command.getLeaseMillis() != null) agent.lease(Duration.ofMillis(command.getLeaseMillis()));
      agent.deploy(command.getHostUuid(), command.getRelay(), d);
      return null;
    });
  }
}
