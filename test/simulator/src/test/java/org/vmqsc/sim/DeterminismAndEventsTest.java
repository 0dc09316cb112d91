package org.vmqsc.sim;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.StringWriter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.Test;

/** Same seed, same run, event for event; and the event file carries what an independent checker needs. */
public class DeterminismAndEventsTest {

  private static String events(long seed) {
    StringWriter out = new StringWriter();
    SimConfig c = SimConfig.builder().seed(seed).hosts(3).classes(SimConfig.mixedClasses(6, 0.5, 3))
        .periods(16).vmFailures(2).hostFailures(2).failuresDuringRecovery(true).build();
    new Simulator(c, new EventSink(out)).run();
    return out.toString();
  }

  @Test public void theSameSeedGivesTheSameEventsByteForByte() {
    String a = events(11);
    assertEquals(a, events(11));
    assertNotEquals(a, events(12));
  }

  @Test public void everyEventTypeCarriesItsDocumentedFields() {
    Map<String, Set<String>> required = Map.ofEntries(
        Map.entry("send", Set.of("t", "id", "from", "to", "seq", "index", "digest", "host")),
        Map.entry("deliver", Set.of("t", "id", "from", "to", "seq", "index", "rsn", "receiver_index", "digest", "host")),
        Map.entry("checkpoint", Set.of("t", "vm", "index", "forced", "sent", "received", "state", "position", "host")),
        Map.entry("stable", Set.of("t", "vm", "index", "kind", "host")),
        Map.entry("line", Set.of("t", "index", "checkpoints")),
        Map.entry("host_failure", Set.of("t", "host")),
        Map.entry("vm_failure", Set.of("t", "vm", "host", "position", "state")),
        Map.entry("restore", Set.of("t", "vm", "checkpoint", "kind", "host", "state", "position", "sent", "received")),
        Map.entry("recovery", Set.of("t", "line", "failed", "rolled_back")),
        Map.entry("vm_start", Set.of("t", "vm", "host", "incarnation", "reason")),
        Map.entry("vm_stop", Set.of("t", "vm", "host", "reason")),
        Map.entry("end", Set.of("t", "drained")));
    Map<String, Integer> seen = new HashMap<>();
    for (String line : events(5).split("\n")) {
      JsonObject o = JsonParser.parseString(line).getAsJsonObject();
      String type = o.get("event").getAsString();
      seen.merge(type, 1, Integer::sum);
      for (String field : required.getOrDefault(type, Set.of())) {
        assertTrue(type + " lacks " + field + ": " + line, o.has(field));
      }
    }
    for (String type : List.of("send", "deliver", "checkpoint", "stable", "line", "host_failure", "restore", "recovery",
        "vm_start", "vm_stop", "end")) {
      assertTrue("no " + type + " event in the run: " + seen, seen.containsKey(type));
    }
  }
}
