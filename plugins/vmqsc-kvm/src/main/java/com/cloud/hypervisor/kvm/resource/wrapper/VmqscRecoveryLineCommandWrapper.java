package com.cloud.hypervisor.kvm.resource.wrapper;

import com.cloud.agent.api.Answer;
import com.cloud.hypervisor.kvm.resource.LibvirtComputingResource;
import com.cloud.resource.CommandWrapper;
import com.cloud.resource.ResourceWrapper;
import org.vmqsc.agent.wire.WireMessages.LineOrder;
import org.vmqsc.plugin.command.RecoveryLineCommand;

/** The recovery line moved: collects the logs behind it. */
@ResourceWrapper(handles = RecoveryLineCommand.class)
public final class VmqscRecoveryLineCommandWrapper extends CommandWrapper<RecoveryLineCommand, Answer, LibvirtComputingResource> {

  @Override public Answer execute(RecoveryLineCommand command, LibvirtComputingResource resource) {
    return VmqscOrders.run(command, LineOrder.class, (agent, o) -> {
      agent.line(o);
      return null;
    });
  }
}
