package org.vmqsc.lab.cluster;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.vmqsc.lab.SpaceTimeDiagram;

/**
 * The merged event log of a cluster run as a space-time diagram around the first host failure: the simulator's
 * diagram, fed with wall-clock seconds turned into milliseconds since the run began.
 */
final class Timeline {

  private Timeline() {}

  static String render(Path merged) throws IOException {
    StringBuilder lines = new StringBuilder();
    double start = Double.NaN, failure = Double.NaN, t0 = 2000;
    int vms = 0;
    for (String line : Files.readAllLines(merged, StandardCharsets.UTF_8)) {
      JsonObject e;
      try {
        e = JsonParser.parseString(line).getAsJsonObject();
      } catch (RuntimeException cut) {
        continue;
      }
      if (!e.has("t") || e.get("event").getAsString().equals("header")) continue;
      double t = e.get("t").getAsDouble();
      if (Double.isNaN(start)) start = t;
      double ms = (t - start) * 1000;
      e.addProperty("t", ms);
      String type = e.get("event").getAsString();
      if (type.equals("deployed")) t0 = e.get("t0").getAsDouble();
      if (type.equals("host_failure") && Double.isNaN(failure)) failure = ms;
      if (e.has("vm")) vms = Math.max(vms, e.get("vm").getAsInt() + 1);
      lines.append(e).append('\n');
    }
    if (Double.isNaN(failure)) failure = 0;
    double from = Math.max(0, failure - 3 * t0);
    return new SpaceTimeDiagram(Math.max(1, vms), from, failure + 5 * t0)
        .render(lines.toString(), "VM_QSC on a cluster of processes, around the host failure (one lane per VM)");
  }
}
