package org.vmqsc.lab;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import picocli.CommandLine;

public class EvaluateCommandTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private final StringWriter out = new StringWriter(), err = new StringWriter();

  private int run(String... args) {
    CommandLine cl = VmqscCommand.commandLine();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    return cl.execute(args);
  }

  @Test public void theSameSeedWritesTheSameCsvTwice() throws Exception {
    Path a = tmp.newFolder("a").toPath(), b = tmp.newFolder("b").toPath();
    Path trace = tmp.newFile("t.csv").toPath();
    Files.writeString(trace, "time,src,dst,bytes\n0.5,0,1,100\n1.5,1,2,100\n2.5,2,0,100\n3.5,0,2,50\n");
    String[] common = {"evaluate", "--workload", "paper:periods=3", "--trace", "csv:" + trace, "--seed", "5",
        "--vm-failures", "3", "--host-failures", "3"};
    assertEquals(err.toString(), 0, run(concat(common, "--out", a.toString())));
    assertEquals(err.toString(), 0, run(concat(common, "--out", b.toString())));
    assertArrayEquals(Files.readAllBytes(a.resolve("results.csv")), Files.readAllBytes(b.resolve("results.csv")));
    String csv = Files.readString(a.resolve("results.csv"));
    assertEquals(1 + 2 * 6, csv.split("\n").length);
    assertTrue(Files.exists(a.resolve("report.html")));
    assertTrue(Files.exists(a.resolve("chart-eta_bytes.svg")));
    assertTrue(out.toString().contains("| eta_messages |"));
    assertTrue("progress bar on stderr", err.toString().contains("100%"));
  }

  @Test public void badArgumentsGiveOneClearLineAndExitCode2() throws Exception {
    Path o = tmp.newFolder("o").toPath();
    assertEquals(2, run("evaluate", "--out", o.toString()));
    assertTrue(err.toString(), err.toString().contains("vmqsc: give at least one --workload or --trace"));
    assertEquals(2, run("evaluate", "--workload", "paper", "--protocols", "vmqsc,nope", "--out", o.toString()));
    assertTrue(err.toString(), err.toString().contains("unknown protocol 'nope'"));
    Path bad = tmp.newFile("bad.csv").toPath();
    Files.writeString(bad, "1,0,1,10\n2,0,0,10\n");
    assertEquals(2, run("evaluate", "--trace", "csv:" + bad, "--out", o.toString()));
    assertTrue(err.toString(), err.toString().contains("bad.csv:2: src and dst are both VM 0"));
    assertEquals(2, run("evaluate", "--trace", "pcap:" + bad, "--out", o.toString()));
    assertTrue(err.toString(), err.toString().contains("unknown trace format 'pcap'"));
    assertEquals(2, run("evaluate", "--workload", "paper", "--t0", "soon", "--out", o.toString()));
    assertTrue(err.toString(), err.toString().contains("--t0 must be a number of seconds > 0 or young, got 'soon'"));
    assertTrue("nothing written on bad input", !Files.exists(o.resolve("results.csv")));
  }

  @Test public void t0YoungUsesTheAdvisorsPeriod() throws Exception {
    Path o = tmp.newFolder("y").toPath();
    // 64 MiB at 200 MB/s plus a 0.3 s pause, host MTBF 2 h, 4 hosts: sqrt(2 x 0.6355 x 1800) = 47.8 s.
    assertEquals(err.toString(), 0, run("evaluate", "--workload", "paper:periods=3", "--t0", "young",
        "--host-mtbf-hours", "2", "--protocols", "coordinated", "--vm-failures", "0", "--host-failures", "0",
        "--out", o.toString()));
    String md = Files.readString(o.resolve("results.md"));
    assertTrue(md, md.contains("T0 = 47.83 s (this run used 47.83 s)"));
  }

  @Test public void theHostMtbfReachesTheAdvisedClasses() throws Exception {
    // Hosts failing every three minutes make rework after a failure dear: every VM SI; hosts that never fail make
    // storage the only cost: every VM MI at the largest period allowed.
    for (String[] c : new String[][] {{"0.05", "class_per_vm` SI SI"}, {"100000", "class_per_vm` MI_4 MI_4"}}) {
      Path o = tmp.newFolder("mtbf" + c[0]).toPath();
      assertEquals(err.toString(), 0, run("evaluate", "--workload", "paper:periods=6", "--classes", "advised",
          "--host-mtbf-hours", c[0], "--protocols", "vmqsc", "--vm-failures", "0", "--host-failures", "0",
          "--out", o.toString()));
      String md = Files.readString(o.resolve("results.md"));
      assertTrue(md, md.contains(c[1]));
    }
  }

  private static String[] concat(String[] a, String... b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
