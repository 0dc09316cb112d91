package com.cloud.hypervisor.kvm.resource.wrapper;

import com.cloud.agent.api.Answer;
import com.cloud.hypervisor.kvm.resource.LibvirtComputingResource;
import com.cloud.resource.CommandWrapper;
import com.cloud.resource.ResourceWrapper;
import org.vmqsc.agent.wire.WireMessages.GroupRef;
import org.vmqsc.plugin.command.ThawGroupCommand;

/** Lets the group run on after a recovery. */
@ResourceWrapper(handles = ThawGroupCommand.class)
public final class VmqscThawGroupCommandWrapper extends CommandWrapper<ThawGroupCommand, Answer, LibvirtComputingResource> {

  @Override public Answer execute(ThawGroupCommand command, LibvirtComputingResource resource) {
    return VmqscOrders.run(command, GroupRef.class, (agent, g) -> {
      agent.thaw(g.group());
      return null;
    });
  }
}
