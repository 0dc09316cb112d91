package com.cloud.hypervisor.kvm.resource.wrapper;

import com.cloud.agent.api.Answer;
import com.cloud.hypervisor.kvm.resource.LibvirtComputingResource;
import com.cloud.resource.CommandWrapper;
import com.cloud.resource.ResourceWrapper;
import org.vmqsc.agent.wire.WireMessages.RollbackOrder;
import org.vmqsc.plugin.command.RollbackVmCommand;

/** A VM was rolled back: what its discarded execution sent is dropped here. */
@ResourceWrapper(handles = RollbackVmCommand.class)
public final class VmqscRollbackVmCommandWrapper extends CommandWrapper<RollbackVmCommand, Answer, LibvirtComputingResource> {

  @Override public Answer execute(RollbackVmCommand command, LibvirtComputingResource resource) {
    return VmqscOrders.run(command, RollbackOrder.class, (agent, o) -> {
      agent.rollback(o);
      return null;
    });
  }
}
