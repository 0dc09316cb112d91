package com.cloud.hypervisor.xenserver.resource.wrapper.xenbase;

import com.cloud.agent.api.Answer;
import com.cloud.hypervisor.xenserver.resource.CitrixResourceBase;
import com.cloud.resource.CommandWrapper;
import com.cloud.resource.ResourceWrapper;
import org.vmqsc.agent.wire.WireMessages.GroupRef;
import org.vmqsc.plugin.command.SnapshotHostCommand;

/** What this host holds of the group, for a recovery plan. */
@ResourceWrapper(handles = SnapshotHostCommand.class)
public final class VmqscSnapshotHostCommandWrapper extends CommandWrapper<SnapshotHostCommand, Answer, CitrixResourceBase> {

  @Override public Answer execute(SnapshotHostCommand command, CitrixResourceBase resource) {
    return VmqscOrders.run(command, resource, GroupRef.class, (agent, g) -> agent.snapshot(g.group()));
  }
}
