package com.cloud.hypervisor.xenserver.resource.wrapper.xenbase;

import com.cloud.agent.api.Answer;
import com.cloud.hypervisor.xenserver.resource.CitrixResourceBase;
import com.cloud.resource.CommandWrapper;
import com.cloud.resource.ResourceWrapper;
import org.vmqsc.agent.wire.WireMessages.LineOrder;
import org.vmqsc.plugin.command.RecoveryLineCommand;

/** The recovery line moved: collects the logs behind it. */
@ResourceWrapper(handles = RecoveryLineCommand.class)
public final class VmqscRecoveryLineCommandWrapper extends CommandWrapper<RecoveryLineCommand, Answer, CitrixResourceBase> {

  @Override public Answer execute(RecoveryLineCommand command, CitrixResourceBase resource) {
    return VmqscOrders.run(command, resource, LineOrder.class, (agent, o) -> {
      agent.line(o);
      return null;
    });
  }
}
