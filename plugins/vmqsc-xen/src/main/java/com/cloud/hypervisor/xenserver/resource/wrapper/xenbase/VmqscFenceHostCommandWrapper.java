package com.cloud.hypervisor.xenserver.resource.wrapper.xenbase;

import com.cloud.agent.api.Answer;
import com.cloud.hypervisor.xenserver.resource.CitrixResourceBase;
import com.cloud.resource.CommandWrapper;
import com.cloud.resource.ResourceWrapper;
import org.vmqsc.agent.wire.WireMessages.GroupRef;
import org.vmqsc.plugin.command.FenceHostCommand;

/** Fenced: this host's protected VMs run elsewhere now. */
@ResourceWrapper(handles = FenceHostCommand.class)
public final class VmqscFenceHostCommandWrapper extends CommandWrapper<FenceHostCommand, Answer, CitrixResourceBase> {

  @Override public Answer execute(FenceHostCommand command, CitrixResourceBase resource) {
    return VmqscOrders.run(command, resource, GroupRef.class, (agent, g) -> {
      agent.fence();
      return null;
    });
  }
}
