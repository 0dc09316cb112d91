package com.cloud.hypervisor.kvm.resource.wrapper;

import com.cloud.agent.api.Answer;
import com.cloud.hypervisor.kvm.resource.LibvirtComputingResource;
import com.cloud.resource.CommandWrapper;
import com.cloud.resource.ResourceWrapper;
import org.vmqsc.agent.wire.WireMessages.GroupRef;
import org.vmqsc.plugin.command.DropGroupCommand;

/** The protection group was deleted: the host stops running it. */
@ResourceWrapper(handles = DropGroupCommand.class)
public final class VmqscDropGroupCommandWrapper extends CommandWrapper<DropGroupCommand, Answer, LibvirtComputingResource> {

  @Override public Answer execute(DropGroupCommand command, LibvirtComputingResource resource) {
    return VmqscOrders.run(command, GroupRef.class, (agent, o) -> {
      agent.drop(o.group());
      return null;
    });
  }
}
