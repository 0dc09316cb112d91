package org.vmqsc.sim.events;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Splits one simulator event file the way separate processes would have written it: an event with a {@code host}
 * goes to that host's agent file, any other to the manager's; each file gets its own process header. Returns the
 * files in merge order: agents by host number, then the manager.
 */
public final class SplitByHost {
  private SplitByHost() {}

  public static List<Path> split(String jsonLines, Path dir) throws IOException {
    Map<Integer, StringBuilder> agents = new TreeMap<>();
    StringBuilder manager = new StringBuilder();
    for (String line : jsonLines.split("\n")) {
      if (line.isBlank()) continue;
      JsonObject o = JsonParser.parseString(line).getAsJsonObject();
      if (o.get("event").getAsString().equals("header")) {
        o.addProperty("process", "manager");
        o.addProperty("pid", 1000);
        manager.insert(0, o + "\n");
      } else if (o.has("host")) {
        int host = o.get("host").getAsInt();
        agents.computeIfAbsent(host, h -> new StringBuilder(header(h))).append(line).append('\n');
      } else {
        manager.append(line).append('\n');
      }
    }
    List<Path> files = new ArrayList<>();
    for (Map.Entry<Integer, StringBuilder> a : agents.entrySet()) {
      files.add(Files.writeString(dir.resolve("agent-h" + a.getKey() + ".jsonl"), a.getValue(), StandardCharsets.UTF_8));
    }
    files.add(Files.writeString(dir.resolve("manager.jsonl"), manager, StandardCharsets.UTF_8));
    return files;
  }

  private static String header(int host) {
    return "{\"t\":0.0,\"event\":\"header\",\"process\":\"agent h" + host + "\",\"pid\":" + (1001 + host)
        + ",\"host\":" + host + ",\"time_unit\":\"ms\"}\n";
  }
}
