package com.cloud.hypervisor.xenserver.resource.wrapper.xenbase;

import com.cloud.agent.api.Answer;
import com.cloud.hypervisor.xenserver.resource.CitrixResourceBase;
import com.cloud.resource.CommandWrapper;
import com.cloud.resource.ResourceWrapper;
import org.vmqsc.agent.wire.WireMessages.RollbackOrder;
import org.vmqsc.plugin.command.RollbackVmCommand;

/** A VM was rolled back: what its discarded execution sent is dropped here. */
@ResourceWrapper(handles = RollbackVmCommand.class)
public final class VmqscRollbackVmCommandWrapper extends CommandWrapper<RollbackVmCommand, Answer, CitrixResourceBase> {

  @Override public Answer execute(RollbackVmCommand command, CitrixResourceBase resource) {
    return VmqscOrders.run(command, resource, RollbackOrder.class, (agent, o) -> {
      agent.rollback(o);
      return null;
    });
  }
}
