package com.cloud.hypervisor.xenserver.resource.wrapper.xenbase;

import com.cloud.agent.api.Answer;
import com.cloud.hypervisor.xenserver.resource.CitrixResourceBase;
import com.cloud.resource.CommandWrapper;
import com.cloud.resource.ResourceWrapper;
import org.vmqsc.agent.wire.WireMessages.GroupRef;
import org.vmqsc.plugin.command.FreezeGroupCommand;

/** Holds the group still while a recovery runs. */
@ResourceWrapper(handles = FreezeGroupCommand.class)
public final class VmqscFreezeGroupCommandWrapper extends CommandWrapper<FreezeGroupCommand, Answer, CitrixResourceBase> {

  @Override public Answer execute(FreezeGroupCommand command, CitrixResourceBase resource) {
    return VmqscOrders.run(command, resource, GroupRef.class, (agent, g) -> {
      agent.freeze(g.group());
      return null;
    });
  }
}
