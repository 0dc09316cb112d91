package org.vmqsc.agent.kvm;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;

/** QMP commands passed through libvirt ({@code virDomainQemuMonitorCommand}). */
final class Qmp {

  private Qmp() {}

  /** Runs a QMP command and returns its "return" member; a QMP error becomes an IOException with QEMU's text. */
  static JsonObject execute(Domain domain, String command, JsonObject arguments) throws IOException {
    JsonObject json = reply(domain, command, arguments);
    return json.has("return") && json.get("return").isJsonObject() ? json.getAsJsonObject("return") : new JsonObject();
  }

  /** Runs a QMP command whose "return" member is an array. */
  static JsonArray executeForArray(Domain domain, String command, JsonObject arguments) throws IOException {
    JsonObject json = reply(domain, command, arguments);
    if (!json.has("return") || !json.get("return").isJsonArray()) {
      throw new IOException("QMP " + command + " returned no array: " + json);
    }
    return json.getAsJsonArray("return");
  }

  private static JsonObject reply(Domain domain, String command, JsonObject arguments) throws IOException {
    JsonObject request = new JsonObject();
    request.addProperty("execute", command);
    if (arguments != null) {
      request.add("arguments", arguments);
    }
    String reply;
    try {
      reply = domain.qemuMonitorCommand(request.toString(), 0);
    } catch (LibvirtException e) {
      throw new IOException("QMP " + command + " failed: " + e.getMessage(), e);
    }
    JsonObject json = JsonParser.parseString(reply).getAsJsonObject();
    if (json.has("error")) {
      JsonObject error = json.getAsJsonObject("error");
      throw new IOException("QMP " + command + " failed: " + (error.has("desc") ? error.get("desc").getAsString()
          : error.toString()));
    }
    return json;
  }

  static void setCapability(Domain domain, String capability, boolean on) throws IOException {
    JsonObject entry = new JsonObject();
    entry.addProperty("capability", capability);
    entry.addProperty("state", on);
    JsonArray list = new JsonArray();
    list.add(entry);
    JsonObject arguments = new JsonObject();
    arguments.add("capabilities", list);
    execute(domain, "migrate-set-capabilities", arguments);
  }
}
