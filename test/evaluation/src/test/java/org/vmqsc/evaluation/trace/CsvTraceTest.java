package org.vmqsc.evaluation.trace;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.BufferedReader;
import java.io.StringReader;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.Test;
import org.vmqsc.evaluation.workload.Traffic;
import org.vmqsc.evaluation.workload.Workloads;

public class CsvTraceTest {

  private static Traffic read(String text) throws Exception {
    return CsvTrace.read(new BufferedReader(new StringReader(text)), "t.csv");
  }

  @Test public void writeThenReadGivesTheSameRows() throws Exception {
    for (String w : List.of("paper:periods=3", "pipeline:periods=3,vms=5", "master-worker:periods=3,vms=7")) {
      Traffic t = Workloads.generate(w, 42);
      StringWriter out = new StringWriter();
      CsvTrace.write(t, out);
      Traffic back = read(out.toString());
      assertEquals(w, t.sends().size(), back.sends().size());
      int maxVm = 0;
      for (int i = 0; i < t.sends().size(); i++) {
        assertArrayEquals(w + " row " + i, t.sends().get(i), back.sends().get(i), 0);
        maxVm = Math.max(maxVm, (int) Math.max(t.sends().get(i)[1], t.sends().get(i)[2]));
      }
      assertEquals(maxVm + 1, back.vms());
    }
  }

  @Test public void acceptsHeaderCommentsBlankLinesAndAnyOrder() throws Exception {
    Traffic t = read("time, src, dst, bytes\n# a comment\n\n2.5,1,0,100\n0.5,0,2,7\n");
    assertEquals(2, t.sends().size());
    assertEquals(3, t.vms());
  }

  @Test public void theHeaderMayFollowCommentsAndAByteOrderMark() throws Exception {
    Traffic t = read("\uFEFF# recorded on the lab cluster\n\n# seconds, VM numbers, bytes\ntime, src, dst, bytes\n"
        + "1.5,0,1,100\n0.5,1,2,200\n");
    assertEquals(2, t.sends().size());
    assertEquals(3, t.vms());
    try {
      read("1.5,0,1,100\ntime,src,dst,bytes\n");
      fail("a header after a data row is a malformed row");
    } catch (TraceFormatException e) {
      assertTrue(e.getMessage(), e.getMessage().contains(":2:"));
    }
  }

  @Test public void malformedLinesAreRejectedWithLineAndReason() throws Exception {
    String ok = "time,src,dst,bytes\n1,0,1,10\n";
    String[][] cases = {
        {ok + "2,0,1\n", "t.csv:3: expected 4 fields"},
        {ok + "x,0,1,10\n", "t.csv:3: time must be a number"},
        {ok + "-1,0,1,10\n", "t.csv:3: time must be a finite number >= 0"},
        {ok + "NaN,0,1,10\n", "t.csv:3: time must be a finite number >= 0"},
        {ok + "2,a,1,10\n", "t.csv:3: src must be a VM number"},
        {ok + "2,0,-4,10\n", "t.csv:3: dst must be a VM number in 0..1023"},
        {ok + "2,1,1,10\n", "t.csv:3: src and dst are both VM 1"},
        {ok + "2,0,1,-5\n", "t.csv:3: bytes must be >= 0"},
        {ok + "2,0,1,1.5\n", "t.csv:3: bytes must be a whole number"},
        {"time,src,dst,bytes\n", "t.csv:1: no messages"},
    };
    for (String[] c : cases) {
      try {
        read(c[0]);
        fail("accepted: " + c[0]);
      } catch (TraceFormatException e) {
        assertTrue(e.getMessage() + " should start with " + c[1], e.getMessage().startsWith(c[1]));
      }
    }
  }

  @Test public void randomGarbageIsRejectedNeverCrashes() throws Exception {
    Random r = new Random(5);
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      StringBuilder b = new StringBuilder();
      for (int j = 0; j < 1 + r.nextInt(20); j++) b.append("0123456789,.-eE x#".charAt(r.nextInt(18)));
      lines.add(b.toString());
    }
    for (String l : lines) {
      try {
        read("1,0,1,10\n" + l + "\n");
      } catch (TraceFormatException e) {
        assertTrue(e.getMessage(), e.getMessage().startsWith("t.csv:2: ") || e.getMessage().startsWith("t.csv:1: "));
      }
    }
  }
}
