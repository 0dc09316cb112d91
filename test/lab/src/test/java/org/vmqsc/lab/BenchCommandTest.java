package org.vmqsc.lab;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.Test;
import picocli.CommandLine;

public class BenchCommandTest {

  private static String[] run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = VmqscCommand.commandLine();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int code = cl.execute(args);
    return new String[] {Integer.toString(code), out.toString(), err.toString()};
  }

  @Test public void benchListsItsBenchmarks() {
    String[] result = run("bench", "--help");
    assertEquals("0", result[0]);
    assertTrue(result[1], result[1].contains("engine") && result[1].contains("kvm"));
  }

  @Test public void badBenchmarkArgumentsGetOneClearLine() {
    String[] result = run("bench", "engine", "--size-mib", "1");
    assertEquals("2", result[0]);
    assertTrue(result[2], result[2].startsWith("vmqsc: --size-mib must be in 16.."));
  }

  @Test public void engineBenchmarkRunsOnASmallImage() {
    String[] result = run("bench", "engine", "--size-mib", "16", "--runs", "1");
    assertEquals("0", result[0]);
  }
}
