package com.cloud.hypervisor.xenserver.resource.wrapper.xenbase;

import com.cloud.agent.api.Answer;
import com.cloud.hypervisor.xenserver.resource.CitrixResourceBase;
import org.vmqsc.plugin.command.VmqscCommand;
import org.vmqsc.plugin.host.HostOrders;
import org.vmqsc.plugin.xen.XenHostAgents;

/**
 * The Xen wrappers' orders: on the {@link org.vmqsc.plugin.host.HostAgent} this management server runs for the
 * Xen host {@code resource} stands for, which reaches the host's pool through the resource's own XAPI connection.
 */
final class VmqscOrders {

  private VmqscOrders() {}

  static <T> Answer run(VmqscCommand command, CitrixResourceBase resource, Class<T> bodyType,
      HostOrders.Order<T> order) {
    return HostOrders.run(command, bodyType,
        () -> XenHostAgents.forHost(resource.getHost().getUuid(), resource::getConnection), order);
  }
}
