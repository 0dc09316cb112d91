package org.vmqsc.agent.kvm;

import com.google.gson.JsonObject;
import java.io.IOException;
import org.libvirt.Domain;

/** Where a QMP command goes: through libvirt ({@link Qmp}), or straight to a monitor of QEMU's own ({@link QmpSocket}). */
interface Monitor {

  /** Runs a QMP command and returns its "return" member; a QMP error becomes an IOException with QEMU's text. */
  JsonObject execute(String command, JsonObject arguments) throws IOException;

  /** libvirt's pass-through: works for any domain, about 1.5–3 ms a command here. */
  static Monitor through(Domain domain) {
    return (command, arguments) -> Qmp.execute(domain, command, arguments);
  }
}
