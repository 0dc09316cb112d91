package com.cloud.hypervisor.kvm.resource.wrapper;

import com.cloud.agent.api.Answer;
import com.cloud.hypervisor.kvm.resource.LibvirtComputingResource;
import com.cloud.resource.CommandWrapper;
import com.cloud.resource.ResourceWrapper;
import org.vmqsc.agent.wire.WireMessages.GroupRef;
import org.vmqsc.plugin.command.SnapshotHostCommand;

/** What this host holds of the group, for a recovery plan. */
@ResourceWrapper(handles = SnapshotHostCommand.class)
public final class VmqscSnapshotHostCommandWrapper extends CommandWrapper<SnapshotHostCommand, Answer, LibvirtComputingResource> {

  @Override public Answer execute(SnapshotHostCommand command, LibvirtComputingResource resource) {
    return VmqscOrders.run(command, GroupRef.class, (agent, g) -> agent.snapshot(g.group()));
  }
}
