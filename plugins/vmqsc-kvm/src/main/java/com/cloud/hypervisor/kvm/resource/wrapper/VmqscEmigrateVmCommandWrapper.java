package com.cloud.hypervisor.kvm.resource.wrapper;

import com.cloud.agent.api.Answer;
import com.cloud.hypervisor.kvm.resource.LibvirtComputingResource;
import com.cloud.resource.CommandWrapper;
import com.cloud.resource.ResourceWrapper;
import org.vmqsc.agent.wire.WireMessages.EmigrateOrder;
import org.vmqsc.plugin.command.EmigrateVmCommand;

/** Live migration, source side: hands the VM's protocol state out. */
@ResourceWrapper(handles = EmigrateVmCommand.class)
public final class VmqscEmigrateVmCommandWrapper extends CommandWrapper<EmigrateVmCommand, Answer, LibvirtComputingResource> {

  @Override public Answer execute(EmigrateVmCommand command, LibvirtComputingResource resource) {
    return VmqscOrders.run(command, EmigrateOrder.class, (agent, o) -> agent.emigrate(o));
  }
}
