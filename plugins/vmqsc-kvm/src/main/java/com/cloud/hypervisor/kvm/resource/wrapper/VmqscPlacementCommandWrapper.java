package com.cloud.hypervisor.kvm.resource.wrapper;

import com.cloud.agent.api.Answer;
import com.cloud.hypervisor.kvm.resource.LibvirtComputingResource;
import com.cloud.resource.CommandWrapper;
import com.cloud.resource.ResourceWrapper;
import org.vmqsc.agent.wire.WireMessages.PlacementOrder;
import org.vmqsc.plugin.command.PlacementCommand;

/** A VM runs on another host now: its frames go there, what it may have missed is sent again. */
@ResourceWrapper(handles = PlacementCommand.class)
public final class VmqscPlacementCommandWrapper extends CommandWrapper<PlacementCommand, Answer, LibvirtComputingResource> {

  @Override public Answer execute(PlacementCommand command, LibvirtComputingResource resource) {
    return VmqscOrders.run(command, PlacementOrder.class, (agent, o) -> {
      agent.placement(o);
      return null;
    });
  }
}
