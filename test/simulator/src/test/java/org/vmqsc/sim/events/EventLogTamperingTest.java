package org.vmqsc.sim.events;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.BeforeClass;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.vmqsc.sim.EventSink;
import org.vmqsc.sim.SimConfig;
import org.vmqsc.sim.Simulator;

/**
 * Breaks a simulated run's event log on purpose, one way at a time, and requires the event-log oracle to catch
 * each break with a reason that says what is wrong (or, for a truncated last line, to count it).
 */
public class EventLogTamperingTest {

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  /** A run with a VM failure rebuilt on its host, a host failure that moves VMs, and a drained end. */
  private static List<JsonObject> run;

  @BeforeClass public static void simulate() {
    for (long seed = 1; seed < 200; seed++) {
      StringWriter out = new StringWriter();
      SimConfig c = SimConfig.builder().seed(seed).hosts(3).classes(SimConfig.mixedClasses(6, 0.5, 3))
          .periods(16).vmFailures(2).hostFailures(1).build();
      new Simulator(c, new EventSink(out)).run();
      List<JsonObject> events = out.toString().lines().map(l -> JsonParser.parseString(l).getAsJsonObject()).toList();
      if (events.stream().anyMatch(e -> is(e, "restore") && e.get("kind").getAsString().equals("vm"))
          && events.stream().anyMatch(e -> is(e, "moved")) && orphanCandidate(events) != null) {
        run = events;
        return;
      }
    }
    fail("no seed gave a run with a VM rebuild, a moved VM and a survivor of a restore that heard from the VM");
  }

  @Test public void theUntouchedRunPasses() {
    Verdict v = judge(copy());
    assertTrue(v.violations().toString(), v.ok());
    assertTrue(v.restoresChecked() >= 3);
  }

  @Test public void aDroppedDeliveryIsAGap() {
    List<JsonObject> log = copy();
    int i = indexOf(log, 0, e -> is(e, "deliver") && laterDeliverOnChannel(log, log.indexOf(e)));
    log.remove(i);
    assertCaught(log, "gap: VM");
  }

  @Test public void aDuplicatedDeliveryIsCaught() {
    List<JsonObject> log = copy();
    int i = indexOf(log, log.size() / 3, e -> is(e, "deliver"));
    log.add(i + 1, log.get(i).deepCopy());
    assertCaught(log, "duplicate: VM");
  }

  @Test public void anAlteredDigestIsCaught() {
    List<JsonObject> log = copy();
    JsonObject d = log.get(indexOf(log, log.size() / 2, e -> is(e, "deliver")));
    d.addProperty("digest", d.get("digest").getAsLong() ^ 1);
    assertCaught(log, "is not " + (d.get("digest").getAsLong() ^ 1) + ", that of send #");
  }

  @Test public void anAlteredLineRestoreStateIsCaught() {
    List<JsonObject> log = copy();
    JsonObject r = log.get(indexOf(log, 0, e -> is(e, "restore") && e.get("kind").getAsString().equals("line")));
    r.addProperty("state", r.get("state").getAsLong() + 1);
    assertCaught(log, "restored to line " + r.get("line").getAsLong() + " with state");
  }

  @Test public void anAlteredRebuildStateIsCaught() {
    List<JsonObject> log = copy();
    JsonObject r = log.get(indexOf(log, 0, e -> is(e, "restore") && e.get("kind").getAsString().equals("vm")));
    r.addProperty("position", r.get("position").getAsLong() - 1);
    assertCaught(log, "but it failed with state");
  }

  @Test public void aSendOnTheOldHostAfterAMoveIsCaught() {
    List<JsonObject> log = copy();
    int moved = indexOf(log, 0, e -> is(e, "moved"));
    int vm = log.get(moved).get("vm").getAsInt();
    int oldHost = log.get(moved).get("from_host").getAsInt();
    JsonObject send = log.get(indexOf(log, moved, e -> is(e, "send") && e.get("from").getAsInt() == vm));
    send.addProperty("host", oldHost);
    assertCaught(log, "VM " + vm + " is active on host " + oldHost + " but it runs on host");
  }

  @Test public void aMessageLostBeforeTheDrainedEndIsCaught() {
    List<JsonObject> log = copy();
    int lastRestore = lastIndexOf(log, e -> is(e, "restore"));
    int last = lastIndexOf(log, e -> is(e, "deliver"));
    assertTrue("the last delivery comes after the last restore", last > lastRestore);
    JsonObject d = log.remove(last);
    assertCaught(log, "after the drain VM " + d.get("to").getAsInt() + " has received "
        + (d.get("seq").getAsLong() - 1) + " of the " + d.get("seq").getAsLong() + " messages VM "
        + d.get("from").getAsInt() + " sent it: lost");
  }

  @Test public void anOrphanLeftByARecoveryIsCaught() {
    List<JsonObject> log = copy();
    // A rolled-back VM claims to have sent nothing to a peer that has already received from it.
    int[] at = orphanCandidate(log);
    JsonArray sent = log.get(at[0]).getAsJsonArray("sent");
    sent.set(at[1], new com.google.gson.JsonPrimitive(0));
    assertCaught(log, "orphan after the recovery: VM " + at[1] + " has received");
  }

  /**
   * A restore to a boundary (not rebuilt past it: such a VM sends again after the event) of a VM whose peer runs
   * on through it and had received from it: {event index, peer}, or null.
   */
  private static int[] orphanCandidate(List<JsonObject> log) {
    for (int i = 0; i < log.size(); i++) {
      JsonObject r = log.get(i);
      if (!is(r, "restore") || !r.get("kind").getAsString().equals("line")) continue;
      if (r.has("sends_again") && r.get("sends_again").getAsInt() > 0) continue;
      int vm = r.get("vm").getAsInt();
      JsonArray sent = r.getAsJsonArray("sent");
      for (int p = 0; p < sent.size(); p++) {
        int peer = p;
        if (p == vm || !runningThrough(log, p, i)) continue;
        if (lastIndexOf(log.subList(0, i), e -> is(e, "deliver") && e.get("from").getAsInt() == vm
            && e.get("to").getAsInt() == peer) >= 0) {
          return new int[] {i, p};
        }
      }
    }
    return null;
  }

  @Test public void aMigratedVmGoesOnOnItsNewHostAndOnlyThere() {
    List<JsonObject> log = copy();
    int first = indexOf(log, 0, e -> is(e, "send"));
    int vm = log.get(first).get("from").getAsInt();
    int from = log.get(first).get("host").getAsInt();
    int to = neverFailingHostOtherThan(log, from);
    JsonObject migrate = new JsonObject();
    migrate.add("t", log.get(first).get("t"));
    migrate.addProperty("event", "migrate");
    migrate.addProperty("vm", vm);
    migrate.addProperty("from_host", from);
    migrate.addProperty("to_host", to);
    log.add(first + 1, migrate);
    // What the VM does from then on happens on its new host, until it is restarted.
    int later = -1;
    for (int i = first + 2; i < log.size(); i++) {
      JsonObject e = log.get(i);
      if ((is(e, "restore") || is(e, "vm_start")) && e.get("vm").getAsInt() == vm) break;
      if (actsFor(e, vm) && e.get("host").getAsInt() == from) {
        e.addProperty("host", to);
        if (later < 0 && is(e, "send")) later = i;
      }
    }
    Verdict moved = judge(log);
    assertTrue("a migration is a move, not a restart: " + moved.violations(), moved.ok());
    log.get(later).addProperty("host", from);
    assertCaught(log, "VM " + vm + " is active on host " + from + " but it runs on host " + to);
  }

  private static boolean actsFor(JsonObject e, int vm) {
    if (is(e, "send")) return e.get("from").getAsInt() == vm;
    if (is(e, "deliver") || is(e, "replay")) return e.get("to").getAsInt() == vm;
    return (is(e, "checkpoint") || is(e, "log_segment") || is(e, "vm_stop") || is(e, "vm_failure"))
        && e.get("vm").getAsInt() == vm;
  }

  private static int neverFailingHostOtherThan(List<JsonObject> log, int host) {
    for (int h = 0; ; h++) {
      int candidate = h;
      if (h != host && log.stream().noneMatch(e -> is(e, "host_failure") && e.get("host").getAsInt() == candidate)) {
        return h;
      }
    }
  }

  @Test public void eventsOfAKilledProcessAreCaught() throws IOException {
    Path dir = tmp.newFolder().toPath();
    List<Path> files = new ArrayList<>(SplitByHost.split(text(copy()), dir));
    double middle = copy().get(copy().size() / 2).get("t").getAsDouble();
    files.add(Files.writeString(dir.resolve("launcher.jsonl"),
        "{\"t\":0.0,\"event\":\"header\",\"process\":\"launcher\",\"pid\":999,\"time_unit\":\"ms\"}\n"
            + "{\"t\":" + middle + ",\"event\":\"process_killed\",\"process\":\"agent h1\",\"pid\":1002,\"host\":1}\n"));
    Verdict v = EventLogOracle.check(files);
    assertFalse(v.ok());
    assertTrue(v.violations().toString(), v.violations().stream().anyMatch(s -> s.contains("agent h1")
        && s.contains("after it was killed")));
  }

  @Test public void aTruncatedLastLineIsCountedNotFatal() throws IOException {
    String whole = text(copy());
    Path file = tmp.newFile("cut.jsonl").toPath();
    String cut = whole.substring(0, whole.length() - 1); // the last line without its newline ...
    Files.writeString(file, cut.substring(0, cut.length() - 7), StandardCharsets.UTF_8); // ... and cut short
    Verdict v = EventLogOracle.check(List.of(file));
    assertEquals(1, v.truncatedLines());
    assertTrue("the cut line was the end event; all else is intact: " + v.violations(), v.ok());
    assertEquals(copy().size() - 1, v.events());

    Path dir = tmp.newFolder().toPath();
    List<Path> files = SplitByHost.split(whole, dir);
    Path agent = files.get(0);
    byte[] bytes = Files.readAllBytes(agent);
    Files.write(agent, java.util.Arrays.copyOf(bytes, bytes.length - 10));
    StringWriter merged = new StringWriter();
    MergedEventLog.Summary s = MergedEventLog.write(files, merged);
    assertEquals(1, s.truncatedLines());
    assertEquals(1, EventLogOracle.check(files).truncatedLines());
    JsonObject header = JsonParser.parseString(merged.toString().lines().findFirst().orElseThrow()).getAsJsonObject();
    assertEquals(1, header.get("truncated_lines").getAsInt());
    assertEquals(files.size(), header.getAsJsonArray("merged_from").size());
  }

  @Test public void aBrokenLineInTheMiddleIsBadInput() throws IOException {
    List<String> lines = new ArrayList<>(text(copy()).lines().toList());
    lines.set(5, lines.get(5).substring(0, 10));
    Path file = Files.writeString(tmp.newFile("broken.jsonl").toPath(), String.join("\n", lines) + "\n");
    try {
      EventLogOracle.check(List.of(file));
      fail("a broken line in the middle was accepted");
    } catch (IllegalArgumentException expected) {
      assertTrue(expected.getMessage(), expected.getMessage().contains("broken.jsonl:6: not a JSON object"));
    }
  }

  // ---- helpers ----------------------------------------------------------------------------------------------

  private static void assertCaught(List<JsonObject> log, String reason) {
    Verdict v = judge(log);
    assertFalse("the tampering went unnoticed", v.ok());
    assertTrue("no violation says '" + reason + "': " + v.violations(),
        v.violations().stream().anyMatch(s -> s.contains(reason)));
  }

  private static Verdict judge(List<JsonObject> log) {
    EventLogOracle oracle = new EventLogOracle();
    log.forEach(oracle::accept);
    return oracle.verdict();
  }

  private static List<JsonObject> copy() {
    List<JsonObject> out = new ArrayList<>();
    for (JsonObject e : run) out.add(e.deepCopy());
    return out;
  }

  private static String text(List<JsonObject> log) {
    StringBuilder b = new StringBuilder();
    for (JsonObject e : log) b.append(e).append('\n');
    return b.toString();
  }

  private static boolean is(JsonObject e, String type) {
    return e.get("event").getAsString().equals(type);
  }

  private static int indexOf(List<JsonObject> log, int from, Predicate<JsonObject> p) {
    for (int i = from; i < log.size(); i++) if (p.test(log.get(i))) return i;
    throw new AssertionError("no such event in the run");
  }

  private static int lastIndexOf(List<JsonObject> log, Predicate<JsonObject> p) {
    for (int i = log.size() - 1; i >= 0; i--) if (p.test(log.get(i))) return i;
    return -1;
  }

  private static boolean laterDeliverOnChannel(List<JsonObject> log, int i) {
    JsonObject d = log.get(i);
    for (int j = i + 1; j < log.size(); j++) {
      JsonObject e = log.get(j);
      if (is(e, "restore") && e.get("vm").getAsInt() == d.get("to").getAsInt()) return false;
      if (is(e, "deliver") && e.get("from").equals(d.get("from")) && e.get("to").equals(d.get("to"))) return true;
    }
    return false;
  }

  /** VM {@code vm} is not stopped or restored between its last start before {@code i} and the recovery after. */
  private static boolean runningThrough(List<JsonObject> log, int vm, int i) {
    int recovery = indexOf(log, i, e -> is(e, "recovery"));
    for (JsonObject e : log.subList(i, recovery)) {
      if ((is(e, "restore") || is(e, "vm_stop")) && e.get("vm").getAsInt() == vm) return false;
    }
    for (int j = i - 1; j >= 0; j--) {
      JsonObject e = log.get(j);
      if (is(e, "host_failure") || is(e, "recovery")) continue;
      if ((is(e, "vm_stop") || is(e, "vm_failure")) && e.get("vm").getAsInt() == vm) return false;
      if ((is(e, "vm_start") || is(e, "restore")) && e.get("vm").getAsInt() == vm) return true;
    }
    return true;
  }
}
