package com.cloud.hypervisor.kvm.resource.wrapper;

import com.cloud.agent.api.Answer;
import com.cloud.hypervisor.kvm.resource.LibvirtComputingResource;
import com.cloud.resource.CommandWrapper;
import com.cloud.resource.ResourceWrapper;
import org.vmqsc.agent.wire.WireMessages.RestoreOrder;
import org.vmqsc.plugin.command.RestoreVmCommand;

/** Restores a VM here from its checkpoint on the recovery line. */
@ResourceWrapper(handles = RestoreVmCommand.class)
public final class VmqscRestoreVmCommandWrapper extends CommandWrapper<RestoreVmCommand, Answer, LibvirtComputingResource> {

  @Override public Answer execute(RestoreVmCommand command, LibvirtComputingResource resource) {
    return VmqscOrders.run(command, RestoreOrder.class, (agent, o) -> {
      agent.restore(o);
      return null;
    });
  }
}
