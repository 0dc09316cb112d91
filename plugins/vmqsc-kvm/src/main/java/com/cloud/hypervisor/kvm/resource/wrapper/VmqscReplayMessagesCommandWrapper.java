package com.cloud.hypervisor.kvm.resource.wrapper;

import com.cloud.agent.api.Answer;
import com.cloud.hypervisor.kvm.resource.LibvirtComputingResource;
import com.cloud.resource.CommandWrapper;
import com.cloud.resource.ResourceWrapper;
import org.vmqsc.agent.wire.WireMessages.ReplayOrder;
import org.vmqsc.plugin.command.ReplayMessagesCommand;

/** Replays a rolled-back VM's messages in their order. */
@ResourceWrapper(handles = ReplayMessagesCommand.class)
public final class VmqscReplayMessagesCommandWrapper extends CommandWrapper<ReplayMessagesCommand, Answer, LibvirtComputingResource> {

  @Override public Answer execute(ReplayMessagesCommand command, LibvirtComputingResource resource) {
    return VmqscOrders.run(command, ReplayOrder.class, (agent, o) -> {
      agent.replay(o);
      return null;
    });
  }
}
