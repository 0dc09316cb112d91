package org.vmqsc.lab.cluster;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Every agent kill of a merged event log and what followed it, read from the processes' own stamps: the launcher's
 * {@code process_killed}, the manager's {@code host_failure} for that host, the agents' {@code restore}s, and the
 * manager's {@code recovery}.
 */
public final class RecoveryTimes {

  private RecoveryTimes() {}

  /**
   * One kill. Times in seconds; NaN when the log lacks the event.
   *
   * @param detection   kill to the manager's {@code host_failure}
   * @param recovery    {@code host_failure} to the manager's {@code recovery}
   * @param toRestore   {@code host_failure} to the first {@code restore} (fencing, snapshots, plan, claim)
   * @param restores    first to last {@code restore}
   * @param afterRestores last {@code restore} to the {@code recovery} (replays, placements, the catalog)
   */
  public record Kill(String process, String host, double killedAt, double detection, double recovery,
                     double toRestore, double restores, double afterRestores, int restoreCount, String state,
                     int rolledBack, long replays) {
    public double total() {
      return detection + recovery;
    }
  }

  public static List<Kill> of(Path merged) throws IOException {
    List<JsonObject> events = new ArrayList<>();
    for (String line : Files.readAllLines(merged, StandardCharsets.UTF_8)) {
      try {
        JsonObject e = JsonParser.parseString(line).getAsJsonObject();
        if (e.has("t") && e.has("event")) events.add(e);
      } catch (RuntimeException cut) {
        // a line cut short by SIGKILL
      }
    }
    List<Kill> out = new ArrayList<>();
    for (int i = 0; i < events.size(); i++) {
      JsonObject k = events.get(i);
      if (!k.get("event").getAsString().equals("process_killed") || !k.has("host")) continue;
      String host = k.get("host").getAsString();
      double killed = k.get("t").getAsDouble();
      double detected = Double.NaN, recovered = Double.NaN, firstRestore = Double.NaN, lastRestore = Double.NaN;
      int restoreCount = 0, rolledBack = 0;
      long replays = 0;
      String state = "none";
      for (int j = i + 1; j < events.size(); j++) {
        JsonObject e = events.get(j);
        String type = e.get("event").getAsString();
        double t = e.get("t").getAsDouble();
        if (Double.isNaN(detected)) {
          if (type.equals("host_failure") && host.equals(str(e, "host"))) detected = t;
          continue;
        }
        if (type.equals("restore")) {
          if (Double.isNaN(firstRestore)) firstRestore = t;
          lastRestore = t;
          restoreCount++;
        } else if (type.equals("recovery") || type.equals("recovery_failed")) {
          recovered = t;
          state = type.equals("recovery") ? str(e, "state") : "FAILED";
          if (e.has("rolled_back")) rolledBack = e.getAsJsonArray("rolled_back").size();
          if (e.has("replays")) replays = e.get("replays").getAsLong();
          break;
        } else if (type.equals("process_killed")) {
          break; // the next kill came first: this one's recovery is not in the log
        }
      }
      out.add(new Kill(str(k, "process"), host, killed, detected - killed, recovered - detected,
          firstRestore - detected, lastRestore - firstRestore, recovered - lastRestore, restoreCount, state,
          rolledBack, replays));
    }
    return out;
  }

  private static String str(JsonObject e, String field) {
    return e.has(field) && !e.get(field).isJsonNull() ? e.get(field).getAsString() : "";
  }
}
