package com.cloud.hypervisor.kvm.resource.wrapper;

import com.cloud.agent.api.Answer;
import com.cloud.hypervisor.kvm.resource.LibvirtComputingResource;
import com.cloud.resource.CommandWrapper;
import com.cloud.resource.ResourceWrapper;
import org.vmqsc.agent.wire.WireMessages.PayloadsRequest;
import org.vmqsc.plugin.command.FetchPayloadsCommand;

/** The payloads this host keeps of the messages a recovery replays. */
@ResourceWrapper(handles = FetchPayloadsCommand.class)
public final class VmqscFetchPayloadsCommandWrapper extends CommandWrapper<FetchPayloadsCommand, Answer, LibvirtComputingResource> {

  @Override public Answer execute(FetchPayloadsCommand command, LibvirtComputingResource resource) {
    return VmqscOrders.run(command, PayloadsRequest.class, (agent, p) -> agent.payloads(p));
  }
}
