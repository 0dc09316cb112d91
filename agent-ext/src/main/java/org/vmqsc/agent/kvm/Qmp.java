package org.vmqsc.agent.kvm;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Path;
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
    return checkReply(command, reply);
  }

  /** QEMU's reply to {@code command} as JSON; a QMP error becomes an IOException with QEMU's text. */
  static JsonObject checkReply(String command, String reply) throws IOException {
    return checkReply(command, JsonParser.parseString(reply).getAsJsonObject());
  }

  static JsonObject checkReply(String command, JsonObject json) throws IOException {
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

  /** The node name of the disk whose active file is {@code file} (QEMU's {@code query-block}). */
  static String nodeOf(Domain domain, Path file) throws IOException {
    String raw;
    try {
      raw = domain.qemuMonitorCommand("{\"execute\":\"query-block\"}", 0);
    } catch (org.libvirt.LibvirtException e) {
      throw new IOException("QMP query-block failed: " + e.getMessage(), e);
    }
    JsonArray blocks = JsonParser.parseString(raw).getAsJsonObject().getAsJsonArray("return");
    for (JsonElement b : blocks) {
      JsonObject inserted = b.getAsJsonObject().getAsJsonObject("inserted");
      if (inserted != null && file.toString().equals(protocolFile(inserted.get("file").getAsString()))) {
        return inserted.get("node-name").getAsString();
      }
    }
    throw new IOException("QEMU has no disk on " + file);
  }

  /**
   * The file under a node's name as QEMU gives it: a plain path, or, for a node whose options a path cannot say (an
   * overlay libvirt opened with its backing node named), {@code json:} with the file node's path inside.
   */
  static String protocolFile(String qemuFilename) {
    if (!qemuFilename.startsWith("json:")) return qemuFilename;
    try {
      JsonObject options = JsonParser.parseString(qemuFilename.substring("json:".length())).getAsJsonObject();
      JsonElement protocol = options.get("file");
      if (protocol != null && protocol.isJsonObject() && protocol.getAsJsonObject().has("filename")) {
        return protocol.getAsJsonObject().get("filename").getAsString();
      }
    } catch (RuntimeException unreadable) {
      // not QEMU's JSON: no path in it
    }
    return qemuFilename;
  }
}
