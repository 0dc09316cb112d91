package com.cloud.hypervisor.kvm.resource.wrapper;

import com.cloud.agent.api.Answer;
import com.google.gson.JsonParseException;
import java.util.Map;
import org.vmqsc.agent.node.MigrationRefusedException;
import org.vmqsc.agent.wire.Wire;
import org.vmqsc.plugin.command.VmqscAnswer;
import org.vmqsc.plugin.command.VmqscCommand;
import org.vmqsc.plugin.host.HostAgent;
import org.vmqsc.plugin.kvm.HostAgents;

/**
 * What every vmqsc command wrapper does: reads the order from the command's body, carries it out on this host's
 * {@link HostAgent} and answers with the result as JSON. A body that does not parse, or an order the node refuses,
 * is a failed answer with the reason; a VM that cannot migrate yet is a "not now" the manager asks again.
 */
final class VmqscOrders {

  interface Order<T> {
    Object run(HostAgent agent, T body) throws Exception;
  }

  private VmqscOrders() {}

  static <T> Answer run(VmqscCommand command, Class<T> bodyType, Order<T> order) {
    T body;
    try {
      body = Wire.GSON.fromJson(command.getBody(), bodyType);
    } catch (JsonParseException e) {
      return VmqscAnswer.refused(command, "not a valid " + bodyType.getSimpleName() + ": " + e.getMessage());
    }
    if (body == null) return VmqscAnswer.refused(command, "the order has no body");
    try {
      Object result = order.run(HostAgents.get(), body);
      return VmqscAnswer.done(command, Wire.GSON.toJson(result == null ? Map.of() : result));
    } catch (MigrationRefusedException e) {
      return VmqscAnswer.notNow(command, e.getMessage());
    } catch (Exception e) {
      return VmqscAnswer.refused(command, e.getMessage() == null ? e.toString() : e.getMessage());
    }
  }
}
