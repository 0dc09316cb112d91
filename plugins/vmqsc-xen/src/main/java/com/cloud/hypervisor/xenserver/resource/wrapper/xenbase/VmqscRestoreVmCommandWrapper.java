package com.cloud.hypervisor.xenserver.resource.wrapper.xenbase;

import com.cloud.agent.api.Answer;
import com.cloud.hypervisor.xenserver.resource.CitrixResourceBase;
import com.cloud.resource.CommandWrapper;
import com.cloud.resource.ResourceWrapper;
import org.vmqsc.agent.wire.WireMessages.RestoreOrder;
import org.vmqsc.plugin.command.RestoreVmCommand;

/** Restores a VM here from its checkpoint on the recovery line. */
@ResourceWrapper(handles = RestoreVmCommand.class)
public final class VmqscRestoreVmCommandWrapper extends CommandWrapper<RestoreVmCommand, Answer, CitrixResourceBase> {

  @Override public Answer execute(RestoreVmCommand command, CitrixResourceBase resource) {
    return VmqscOrders.run(command, resource, RestoreOrder.class, (agent, o) -> {
      agent.restore(o);
      return null;
    });
  }
}
