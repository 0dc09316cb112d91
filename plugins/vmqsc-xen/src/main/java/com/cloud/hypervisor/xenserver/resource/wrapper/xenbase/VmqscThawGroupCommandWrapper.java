package com.cloud.hypervisor.xenserver.resource.wrapper.xenbase;

import com.cloud.agent.api.Answer;
import com.cloud.hypervisor.xenserver.resource.CitrixResourceBase;
import com.cloud.resource.CommandWrapper;
import com.cloud.resource.ResourceWrapper;
import org.vmqsc.agent.wire.WireMessages.GroupRef;
import org.vmqsc.plugin.command.ThawGroupCommand;

/** Lets the group run on after a recovery. */
@ResourceWrapper(handles = ThawGroupCommand.class)
public final class VmqscThawGroupCommandWrapper extends CommandWrapper<ThawGroupCommand, Answer, CitrixResourceBase> {

  @Override public Answer execute(ThawGroupCommand command, CitrixResourceBase resource) {
    return VmqscOrders.run(command, resource, GroupRef.class, (agent, g) -> {
      agent.thaw(g.group());
      return null;
    });
  }
}
