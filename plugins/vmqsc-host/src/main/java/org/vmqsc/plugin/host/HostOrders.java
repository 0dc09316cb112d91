package org.vmqsc.plugin.host;

import com.cloud.agent.api.Answer;
import com.google.gson.JsonParseException;
import java.util.Map;
import java.util.function.Supplier;
import org.vmqsc.agent.node.MigrationRefusedException;
import org.vmqsc.agent.wire.Wire;
import org.vmqsc.plugin.command.VmqscAnswer;
import org.vmqsc.plugin.command.VmqscCommand;

/**
 * What every vmqsc command wrapper does, KVM's and Xen's alike: reads the order from the command's body, carries it
 * out on the host's {@link HostAgent} and answers with the result as JSON. A body that does not parse, or an order
 * the node refuses, is a failed answer with the reason; a VM that cannot migrate yet is a "not now" the manager
 * asks again.
 */
public final class HostOrders {

  /** One order on the host's agent; its result is the answer's body. */
  public interface Order<T> {
    Object run(HostAgent agent, T body) throws Exception;
  }

  private HostOrders() {}

  /** @param agent the host's agent, looked up only for a well-formed order (opening it may fail: the answer says so) */
  public static <T> Answer run(VmqscCommand command, Class<T> bodyType, Supplier<HostAgent> agent, Order<T> order) {
    T body;
    try {
      body = Wire.GSON.fromJson(command.getBody(), bodyType);
    } catch (JsonParseException e) {
      return VmqscAnswer.refused(command, "not a valid " + bodyType.getSimpleName() + ": " + e.getMessage());
    }
    if (body == null) return VmqscAnswer.refused(command, "the order has no body");
    try {
      Object result = order.run(agent.get(), body);
      return VmqscAnswer.done(command, Wire.GSON.toJson(result == null ? Map.of() : result));
    } catch (MigrationRefusedException e) {
      return VmqscAnswer.notNow(command, e.getMessage());
    } catch (Exception e) {
      return VmqscAnswer.refused(command, e.getMessage() == null ? e.toString() : e.getMessage());
    }
  }
}
