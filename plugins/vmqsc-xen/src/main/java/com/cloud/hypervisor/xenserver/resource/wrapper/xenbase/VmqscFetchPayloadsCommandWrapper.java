package com.cloud.hypervisor.xenserver.resource.wrapper.xenbase;

import com.cloud.agent.api.Answer;
import com.cloud.hypervisor.xenserver.resource.CitrixResourceBase;
import com.cloud.resource.CommandWrapper;
import com.cloud.resource.ResourceWrapper;
import org.vmqsc.agent.wire.WireMessages.PayloadsRequest;
import org.vmqsc.plugin.command.FetchPayloadsCommand;

/** The payloads this host keeps of the messages a recovery replays. */
@ResourceWrapper(handles = FetchPayloadsCommand.class)
public final class VmqscFetchPayloadsCommandWrapper extends CommandWrapper<FetchPayloadsCommand, Answer, CitrixResourceBase> {

  @Override public Answer execute(FetchPayloadsCommand command, CitrixResourceBase resource) {
    return VmqscOrders.run(command, resource, PayloadsRequest.class, (agent, p) -> agent.payloads(p));
  }
}
