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
    Map<String, Set<String>> required = Map.of(
        "send", Set.of("t", "id", "from", "to", "seq", "index"),
        "deliver", Set.of("t", "id", "from", "to", "seq", "index", "rsn", "receiver_index"),
        "checkpoint", Set.of("t", "vm", "index", "forced", "sent", "received"),
        "stable", Set.of("t", "vm", "index", "kind"),
        "line", Set.of("t", "index", "checkpoints"),
        "host_failure", Set.of("t", "host"),
        "vm_failure", Set.of("t", "vm", "host"),
        "restore", Set.of("t", "vm", "checkpoint", "kind"),
        "recovery", Set.of("t", "line", "failed", "rolled_back"));
    Map<String, Integer> seen = new HashMap<>();
    for (String line : events(5).split("\n")) {
      JsonObject o = JsonParser.parseString(line).getAsJsonObject();
      String type = o.get("event").getAsString();
      seen.merge(type, 1, Integer::sum);
      for (String field : required.getOrDefault(type, Set.of())) {
        assertTrue(type + " lacks " + field + ": " + line, o.has(field));
      }
    }
    for (String type : List.of("send", "deliver", "checkpoint", "stable", "line", "host_failure", "restore", "recovery")) {
      assertTrue("no " + type + " event in the run: " + seen, seen.containsKey(type));
    }
  }
}
