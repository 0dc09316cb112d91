package com.cloud.hypervisor.xenserver.resource.wrapper.xenbase;

import com.cloud.agent.api.Answer;
import com.cloud.hypervisor.xenserver.resource.CitrixResourceBase;
import com.cloud.resource.CommandWrapper;
import com.cloud.resource.ResourceWrapper;
import org.vmqsc.agent.wire.WireMessages.GroupRef;
import org.vmqsc.plugin.command.DropGroupCommand;

/** The protection group was deleted: the host stops running it. */
@ResourceWrapper(handles = DropGroupCommand.class)
public final class VmqscDropGroupCommandWrapper extends CommandWrapper<DropGroupCommand, Answer, CitrixResourceBase> {

  @Override public Answer execute(DropGroupCommand command, CitrixResourceBase resource) {
    return VmqscOrders.run(command, resource, GroupRef.class, (agent, o) -> {
      agent.drop(o.group());
      return null;
    });
  }
}
