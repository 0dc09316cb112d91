package com.cloud.hypervisor.xenserver.resource.wrapper.xenbase;

import com.cloud.agent.api.Answer;
import com.cloud.hypervisor.xenserver.resource.CitrixResourceBase;
import com.cloud.resource.CommandWrapper;
import com.cloud.resource.ResourceWrapper;
import org.vmqsc.agent.wire.WireMessages.ReconcileOrder;
import org.vmqsc.plugin.command.ReconcileStorageCommand;

/** Deletes what the Xen host's stores hold that the catalog no longer counts on. */
@ResourceWrapper(handles = ReconcileStorageCommand.class)
public final class VmqscReconcileStorageCommandWrapper
    extends CommandWrapper<ReconcileStorageCommand, Answer, CitrixResourceBase> {

  @Override public Answer execute(ReconcileStorageCommand command, CitrixResourceBase resource) {
    return VmqscOrders.run(command, resource, ReconcileOrder.class, (agent, o) -> {
      agent.reconcile(o);
      return null;
    });
  }
}
