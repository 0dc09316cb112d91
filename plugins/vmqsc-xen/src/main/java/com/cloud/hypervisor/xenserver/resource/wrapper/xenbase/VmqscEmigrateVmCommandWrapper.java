package com.cloud.hypervisor.xenserver.resource.wrapper.xenbase;

import com.cloud.agent.api.Answer;
import com.cloud.hypervisor.xenserver.resource.CitrixResourceBase;
import com.cloud.resource.CommandWrapper;
import com.cloud.resource.ResourceWrapper;
import org.vmqsc.agent.wire.WireMessages.EmigrateOrder;
import org.vmqsc.plugin.command.EmigrateVmCommand;

/** Live migration, source side: hands the VM's protocol state out. */
@ResourceWrapper(handles = EmigrateVmCommand.class)
public final class VmqscEmigrateVmCommandWrapper extends CommandWrapper<EmigrateVmCommand, Answer, CitrixResourceBase> {

  @Override public Answer execute(EmigrateVmCommand command, CitrixResourceBase resource) {
    return VmqscOrders.run(command, resource, EmigrateOrder.class, (agent, o) -> agent.emigrate(o));
  }
}
