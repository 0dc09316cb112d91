package org.vmqsc.agent.kvm;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.libvirt.Domain;

/** Where a QMP command goes: through libvirt ({@link Qmp}), or straight to a monitor of QEMU's own ({@link QmpSocket}). */
interface Monitor {

  /** A QMP command and its arguments (null: none). */
  record Command(String name, JsonObject arguments) {}

  /** A command's "return" member, or the IOException it failed with. */
  record Reply(JsonObject value, IOException error) {
    JsonObject get() throws IOException {
      if (error != null) throw error;
      return value;
    }
  }

  /** Runs a QMP command and returns its "return" member; a QMP error becomes an IOException with QEMU's text. */
  JsonObject execute(String command, JsonObject arguments) throws IOException;

  /**
   * Runs commands in this order, each whatever became of the ones before it, and returns their replies. A monitor
   * of QEMU's own sends them all at once, so QEMU runs them back to back without waiting for us in between.
   */
  default List<Reply> executeAll(List<Command> commands) {
    List<Reply> replies = new ArrayList<>();
    for (Command c : commands) {
      try {
        replies.add(new Reply(execute(c.name(), c.arguments()), null));
      } catch (IOException e) {
        replies.add(new Reply(null, e));
      }
    }
    return replies;
  }

  /** libvirt's pass-through: works for any domain, about 1.5–3 ms a command here. */
  static Monitor through(Domain domain) {
    return (command, arguments) -> Qmp.execute(domain, command, arguments);
  }
}
