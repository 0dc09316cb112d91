package com.cloud.hypervisor.kvm.resource.wrapper;

import com.cloud.agent.api.Answer;
import com.cloud.hypervisor.kvm.resource.LibvirtComputingResource;
import com.cloud.resource.CommandWrapper;
import com.cloud.resource.ResourceWrapper;
import org.vmqsc.agent.wire.WireMessages.GroupRef;
import org.vmqsc.plugin.command.FreezeGroupCommand;

/** Holds the group still while a recovery runs. */
@ResourceWrapper(handles = FreezeGroupCommand.class)
public final class VmqscFreezeGroupCommandWrapper extends CommandWrapper<FreezeGroupCommand, Answer, LibvirtComputingResource> {

  @Override public Answer execute(FreezeGroupCommand command, LibvirtComputingResource resource) {
    return VmqscOrders.run(command, GroupRef.class, (agent, g) -> {
      agent.freeze(g.group());
      return null;
    });
  }
}
