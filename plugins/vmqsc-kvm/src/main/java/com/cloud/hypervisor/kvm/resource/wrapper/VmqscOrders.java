package com.cloud.hypervisor.kvm.resource.wrapper;

import com.cloud.agent.api.Answer;
import org.vmqsc.plugin.command.VmqscCommand;
import org.vmqsc.plugin.host.HostOrders;
import org.vmqsc.plugin.kvm.HostAgents;

/** The KVM wrappers' orders: on the one {@link org.vmqsc.plugin.host.HostAgent} of this agent process. */
final class VmqscOrders {

  private VmqscOrders() {}

  static <T> Answer run(VmqscCommand command, Class<T> bodyType, HostOrders.Order<T> order) {
    return HostOrders.run(command, bodyType, HostAgents::get, order);
  }
}
