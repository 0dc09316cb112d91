package com.cloud.hypervisor.xenserver.resource.wrapper.xenbase;

import com.cloud.agent.api.Answer;
import com.cloud.hypervisor.xenserver.resource.CitrixResourceBase;
import com.cloud.resource.CommandWrapper;
import com.cloud.resource.ResourceWrapper;
import org.vmqsc.agent.wire.WireMessages.GroupRef;
import org.vmqsc.plugin.command.CheckpointTickCommand;

/** Takes (and stages, then flushes) the checkpoints and log writes due by the host's clock, and reports them. */
@ResourceWrapper(handles = CheckpointTickCommand.class)
public final class VmqscCheckpointTickCommandWrapper extends CommandWrapper<CheckpointTickCommand, Answer, CitrixResourceBase> {

  @Override public Answer execute(CheckpointTickCommand command, CitrixResourceBase resource) {
    return VmqscOrders.run(command, resource, GroupRef.class, (agent, g) -> agent.tick(g.group()));
  }
}
