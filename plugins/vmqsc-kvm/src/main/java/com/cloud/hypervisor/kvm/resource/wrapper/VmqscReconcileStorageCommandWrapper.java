package com.cloud.hypervisor.kvm.resource.wrapper;

import com.cloud.agent.api.Answer;
import com.cloud.hypervisor.kvm.resource.LibvirtComputingResource;
import com.cloud.resource.CommandWrapper;
import com.cloud.resource.ResourceWrapper;
import org.vmqsc.agent.wire.WireMessages.ReconcileOrder;
import org.vmqsc.plugin.command.ReconcileStorageCommand;

/** Deletes what the host's stores hold that the catalog no longer counts on. */
@ResourceWrapper(handles = ReconcileStorageCommand.class)
public final class VmqscReconcileStorageCommandWrapper
    extends CommandWrapper<ReconcileStorageCommand, Answer, LibvirtComputingResource> {

  @Override public Answer execute(ReconcileStorageCommand command, LibvirtComputingResource resource) {
    return VmqscOrders.run(command, ReconcileOrder.class, (agent, o) -> {
      agent.reconcile(o);
      return null;
    });
  }
}
