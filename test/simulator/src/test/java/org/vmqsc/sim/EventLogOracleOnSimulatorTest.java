package org.vmqsc.sim;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.vmqsc.sim.events.EventLogOracle;
import org.vmqsc.sim.events.MergedEventLog;
import org.vmqsc.sim.events.SplitByHost;
import org.vmqsc.sim.events.Verdict;

/**
 * The event-log oracle on the simulator's own event files, where the in-process oracle knows the truth: every
 * run it passes must pass the event-log oracle too, whole and after being split per process and merged again.
 */
public class EventLogOracleOnSimulatorTest {
  private static final int RUNS = 200;

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test public void everySimulatedRunPassesFromItsEventsAlone() throws Exception {
    SplittableRandom r = new SplittableRandom(20260517);
    long restores = 0;
    long recoveries = 0;
    long deliveries = 0;
    long merged = 0;
    long crashes = 0;
    for (int run = 0; run < RUNS; run++) {
      SimConfig config = RandomScenario.builder(r.nextLong(), r.nextInt(2, 9), r.nextInt(1, 5), r.nextDouble(),
              r.nextInt(2, 5), r.nextDouble(1, 8), r.nextDouble(0, 0.2), r.nextDouble(1, 200), r.nextInt(0, 5),
              r.nextInt(0, 4), r.nextBoolean(), r.nextBoolean(), r.nextBoolean())
          .periods(12).detectionDelay(r.nextDouble(1, 500)).restartPause(r.nextDouble(1, 500)).build();
      StringWriter out = new StringWriter();
      Simulator sim = new Simulator(config, new EventSink(out));
      if (r.nextBoolean()) sim.crashManagers(r.nextLong());
      SimReport report = sim.run();
      crashes += report.managerCrashes;
      String events = out.toString();

      Verdict whole = judge(events);
      assertTrue("run " + run + " (" + config + "): " + whole.violations(), whole.ok());
      assertEquals("run " + run + ": every recovery is in the log", report.hostRecoveries, whole.recoveriesChecked());
      restores += whole.restoresChecked();
      recoveries += whole.recoveriesChecked();
      deliveries += whole.deliveries();

      if (run % 4 == 0) {
        Path dir = tmp.newFolder("run" + run).toPath();
        List<Path> files = SplitByHost.split(events, dir);
        Path mergedFile = dir.resolve("merged.jsonl");
        try (var w = Files.newBufferedWriter(mergedFile)) {
          MergedEventLog.write(files, w);
        }
        Verdict again = EventLogOracle.check(List.of(mergedFile));
        assertTrue("run " + run + " split and merged: " + again.violations(), again.ok());
        assertEquals("run " + run + ": the merge keeps every event", whole.events(), again.events());
        assertEquals(whole.deliveries(), EventLogOracle.check(files).deliveries());
        merged++;
      }
    }
    System.out.printf("event-log oracle: %d runs, %d deliveries, %d restores, %d recoveries (%d manager crashes),"
        + " %d split and merged, 0 violations%n", RUNS, deliveries, restores, recoveries, crashes, merged);
    assertTrue("too few restores to say anything: " + restores, restores >= 200);
    assertTrue("too few recoveries to say anything: " + recoveries, recoveries >= 50);
    assertTrue("too few manager crashes: " + crashes, crashes >= 10);
  }

  static Verdict judge(String jsonLines) {
    EventLogOracle oracle = new EventLogOracle();
    for (String line : jsonLines.split("\n")) {
      JsonObject o = JsonParser.parseString(line).getAsJsonObject();
      oracle.accept(o);
    }
    return oracle.verdict();
  }
}
