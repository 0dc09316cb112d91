package com.cloud.hypervisor.xenserver.resource.wrapper.xenbase;

import com.cloud.agent.api.Answer;
import com.cloud.hypervisor.xenserver.resource.CitrixResourceBase;
import com.cloud.resource.CommandWrapper;
import com.cloud.resource.ResourceWrapper;
import org.vmqsc.agent.wire.WireMessages.ReplayOrder;
import org.vmqsc.plugin.command.ReplayMessagesCommand;

/** Replays a rolled-back VM's messages in their order. */
@ResourceWrapper(handles = ReplayMessagesCommand.class)
public final class VmqscReplayMessagesCommandWrapper extends CommandWrapper<ReplayMessagesCommand, Answer, CitrixResourceBase> {

  @Override public Answer execute(ReplayMessagesCommand command, CitrixResourceBase resource) {
    return VmqscOrders.run(command, resource, ReplayOrder.class, (agent, o) -> {
      agent.replay(o);
      return null;
    });
  }
}
