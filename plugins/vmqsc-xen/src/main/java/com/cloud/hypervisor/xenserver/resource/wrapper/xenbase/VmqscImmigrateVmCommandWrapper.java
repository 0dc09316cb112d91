package com.cloud.hypervisor.xenserver.resource.wrapper.xenbase;

import com.cloud.agent.api.Answer;
import com.cloud.hypervisor.xenserver.resource.CitrixResourceBase;
import com.cloud.resource.CommandWrapper;
import com.cloud.resource.ResourceWrapper;
import org.vmqsc.agent.wire.WireMessages.ImmigrateOrder;
import org.vmqsc.plugin.command.ImmigrateVmCommand;

/** Live migration, target side: takes the migrated VM's protection over. */
@ResourceWrapper(handles = ImmigrateVmCommand.class)
public final class VmqscImmigrateVmCommandWrapper extends CommandWrapper<ImmigrateVmCommand, Answer, CitrixResourceBase> {

  @Override public Answer execute(ImmigrateVmCommand command, CitrixResourceBase resource) {
    return VmqscOrders.run(command, resource, ImmigrateOrder.class, (agent, o) -> {
      agent.immigrate(o);
      return null;
    });
  }
}
