package com.cloud.hypervisor.xenserver.resource.wrapper.xenbase;

import com.cloud.agent.api.Answer;
import com.cloud.hypervisor.xenserver.resource.CitrixResourceBase;
import com.cloud.resource.CommandWrapper;
import com.cloud.resource.ResourceWrapper;
import org.vmqsc.agent.wire.WireMessages.GuestOrder;
import org.vmqsc.plugin.command.EvictVmCommand;

/** A VM stops here: a recovery restores it on another host. */
@ResourceWrapper(handles = EvictVmCommand.class)
public final class VmqscEvictVmCommandWrapper extends CommandWrapper<EvictVmCommand, Answer, CitrixResourceBase> {

  @Override public Answer execute(EvictVmCommand command, CitrixResourceBase resource) {
    return VmqscOrders.run(command, resource, GuestOrder.class, (agent, o) -> {
      agent.evict(o);
      return null;
    });
  }
}
