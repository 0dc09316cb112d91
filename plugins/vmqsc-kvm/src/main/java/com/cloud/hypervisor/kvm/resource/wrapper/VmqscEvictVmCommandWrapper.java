package com.cloud.hypervisor.kvm.resource.wrapper;

import com.cloud.agent.api.Answer;
import com.cloud.hypervisor.kvm.resource.LibvirtComputingResource;
import com.cloud.resource.CommandWrapper;
import com.cloud.resource.ResourceWrapper;
import org.vmqsc.agent.wire.WireMessages.GuestOrder;
import org.vmqsc.plugin.command.EvictVmCommand;

/** A VM stops here: a recovery restores it on another host. */
@ResourceWrapper(handles = EvictVmCommand.class)
public final class VmqscEvictVmCommandWrapper extends CommandWrapper<EvictVmCommand, Answer, LibvirtComputingResource> {

  @Override public Answer execute(EvictVmCommand command, LibvirtComputingResource resource) {
    return VmqscOrders.run(command, GuestOrder.class, (agent, o) -> {
      agent.evict(o);
      return null;
    });
  }
}
