package com.cloud.hypervisor.xenserver.resource.wrapper.xenbase;

import com.cloud.agent.api.Answer;
import com.cloud.hypervisor.xenserver.resource.CitrixResourceBase;
import com.cloud.resource.CommandWrapper;
import com.cloud.resource.ResourceWrapper;
import org.vmqsc.agent.wire.WireMessages.PlacementOrder;
import org.vmqsc.plugin.command.PlacementCommand;

/** A VM runs on another host now: its frames go there, what it may have missed is sent again. */
@ResourceWrapper(handles = PlacementCommand.class)
public final class VmqscPlacementCommandWrapper extends CommandWrapper<PlacementCommand, Answer, CitrixResourceBase> {

  @Override public Answer execute(PlacementCommand command, CitrixResourceBase resource) {
    return VmqscOrders.run(command, resource, PlacementOrder.class, (agent, o) -> {
      agent.placement(o);
      return null;
    });
  }
}
