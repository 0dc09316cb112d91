package com.cloud.hypervisor.kvm.resource.wrapper;

import com.cloud.agent.api.Answer;
import com.cloud.hypervisor.kvm.resource.LibvirtComputingResource;
import com.cloud.resource.CommandWrapper;
import com.cloud.resource.ResourceWrapper;
import org.vmqsc.agent.wire.WireMessages.GroupRef;
import org.vmqsc.plugin.command.FenceHostCommand;

/** Fenced: this host's protected VMs run elsewhere now. */
@ResourceWrapper(handles = FenceHostCommand.class)
public final class VmqscFenceHostCommandWrapper extends CommandWrapper<FenceHostCommand, Answer, LibvirtComputingResource> {

  @Override public Answer execute(FenceHostCommand command, LibvirtComputingResource resource) {
    return VmqscOrders.run(command, GroupRef.class, (agent, g) -> {
      agent.fence();
      return null;
    });
  }
}
