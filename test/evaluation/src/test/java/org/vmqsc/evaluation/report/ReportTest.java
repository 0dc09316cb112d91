package org.vmqsc.evaluation.report;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.vmqsc.evaluation.CostModel;
import org.vmqsc.evaluation.Evaluation;
import org.vmqsc.evaluation.Metrics;
import org.vmqsc.evaluation.Scenario;
import org.vmqsc.evaluation.ScenarioBuilder;
import org.vmqsc.evaluation.TimeModel;
import org.vmqsc.evaluation.policy.Policies;
import org.vmqsc.evaluation.sim.Simulation;
import org.vmqsc.evaluation.workload.Workloads;

public class ReportTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static List<Metrics> rows(long seed) {
    List<Metrics> rows = new ArrayList<>();
    for (String w : List.of("paper:periods=4", "halo2d:periods=4,step=3")) {
      Scenario s = new ScenarioBuilder().seed(seed).build(Workloads.generate(w, seed));
      for (Simulation.Outcome o : new Evaluation(TimeModel.standard(), CostModel.standard(), seed)
          .run(s, Policies.names(), Simulation.ProgressListener.NONE)) {
        rows.add(o.metrics());
      }
    }
    return rows;
  }

  @Test public void theSameSeedGivesByteIdenticalFilesAndAnotherSeedDoesNot() throws Exception {
    Path a = tmp.newFolder("a").toPath(), b = tmp.newFolder("b").toPath(), c = tmp.newFolder("c").toPath();
    ReportWriter.write(a, rows(9), "");
    ReportWriter.write(b, rows(9), "");
    ReportWriter.write(c, rows(10), "");
    for (String f : List.of("results.csv", "results.md", "report.html", "chart-eta_messages.svg")) {
      assertArrayEquals(f, Files.readAllBytes(a.resolve(f)), Files.readAllBytes(b.resolve(f)));
    }
    assertFalse(new String(Files.readAllBytes(a.resolve("results.csv"))).equals(new String(Files.readAllBytes(c.resolve("results.csv")))));
  }

  @Test public void csvHasOneRowPerProtocolAndWorkloadAndOneColumnPerMetric() throws Exception {
    List<Metrics> rows = rows(1);
    String[] lines = CsvReport.render(rows).split("\n");
    assertEquals(1 + 2 * Policies.names().size(), lines.length);
    List<String> header = fields(lines[0]);
    int columns = 2 + Metrics.DESCRIPTIONS.size() + rows.get(0).parameters().size();
    for (String l : lines) assertEquals(l, columns, fields(l).size());
    assertTrue(lines[lines.length - 1].startsWith("\"halo2d:periods=4,step=3\",pessimistic-log,"));
    assertTrue(lines[1].startsWith("paper:periods=4,vmqsc,"));
    // Every run parameter behind the numbers is in the row: here the paper setting's 16 VMs, 8 SI and 8 MI_2.
    List<String> paper = fields(lines[1]);
    assertEquals("16", paper.get(header.indexOf("vms")));
    assertEquals("SI x8, MI_2 x8", paper.get(header.indexOf("classes")));
    assertEquals("1", paper.get(header.indexOf("seed")));
    for (String p : List.of("t0_s", "periods", "hosts", "checkpoint_mb", "class_per_vm", "stable_mbps")) {
      assertTrue(p, header.contains(p));
    }
  }

  /** The fields of one CSV line, quotes honoured. */
  private static List<String> fields(String line) {
    List<String> out = new java.util.ArrayList<>();
    StringBuilder f = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c == '"') {
        if (quoted && i + 1 < line.length() && line.charAt(i + 1) == '"') { f.append('"'); i++; } else quoted = !quoted;
      } else if (c == ',' && !quoted) {
        out.add(f.toString());
        f.setLength(0);
      } else {
        f.append(c);
      }
    }
    out.add(f.toString());
    return out;
  }

  @Test public void everyMetricGetsAChartAndTheHtmlGathersThem() throws Exception {
    Path out = tmp.newFolder("o").toPath();
    ReportWriter.write(out, rows(1), "### notes");
    String html = Files.readString(out.resolve("report.html"));
    for (String m : Metrics.DESCRIPTIONS.keySet()) {
      if (m.equals("messages") || m.equals("bytes")) continue;
      String svg = Files.readString(out.resolve("chart-" + m + ".svg"));
      assertTrue(svg.startsWith("<svg") && svg.trim().endsWith("</svg>"));
      // one bar per protocol and workload
      assertEquals(m, 2 * Policies.names().size(), svg.split("<rect x=").length - 1 - Policies.names().size());
      assertTrue(html.contains("<title>" + SvgBarChart.escape(m + ": " + Metrics.DESCRIPTIONS.get(m)) + "</title>"));
    }
    assertTrue(Files.readString(out.resolve("results.md")).contains("### notes"));
  }

  @Test public void numbersPrintTheSameEverywhere() {
    assertEquals("3", Numbers.format(3.0));
    assertEquals("0.166667", Numbers.format(1.0 / 6));
    assertEquals("1234570", Numbers.format(1234567.4));
    assertEquals("0.0000123457", Numbers.format(0.0000123456789));
    assertEquals("0.167", Numbers.readable(1.0 / 6));
    assertEquals("668", Numbers.readable(668.279));
  }
}
