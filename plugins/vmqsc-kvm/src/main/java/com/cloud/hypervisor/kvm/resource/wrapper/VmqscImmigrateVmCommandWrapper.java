package com.cloud.hypervisor.kvm.resource.wrapper;

import com.cloud.agent.api.Answer;
import com.cloud.hypervisor.kvm.resource.LibvirtComputingResource;
import com.cloud.resource.CommandWrapper;
import com.cloud.resource.ResourceWrapper;
import org.vmqsc.agent.wire.WireMessages.ImmigrateOrder;
import org.vmqsc.plugin.command.ImmigrateVmCommand;

/** Live migration, target side: takes the migrated VM's protection over. */
@ResourceWrapper(handles = ImmigrateVmCommand.class)
public final class VmqscImmigrateVmCommandWrapper extends CommandWrapper<ImmigrateVmCommand, Answer, LibvirtComputingResource> {

  @Override public Answer execute(ImmigrateVmCommand command, LibvirtComputingResource resource) {
    return VmqscOrders.run(command, ImmigrateOrder.class, (agent, o) -> {
      agent.immigrate(o);
      return null;
    });
  }
}
