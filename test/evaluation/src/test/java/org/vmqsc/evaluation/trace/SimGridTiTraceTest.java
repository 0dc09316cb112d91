package org.vmqsc.evaluation.trace;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.vmqsc.evaluation.TimeModel;
import org.vmqsc.evaluation.workload.Traffic;

/** Reads the committed smpirun -trace-ti traces, replays hand-written ones exactly, rejects malformed ones. */
public class SimGridTiTraceTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static final Path TRACES = Path.of("src/test/resources/traces");
  // 1 flop/s and 1 byte/s with no latency make every time easy to check by hand.
  private static final TimeModel UNIT = new TimeModel(0, 0, 1, 1, 0);

  private Traffic readText(String text) throws Exception {
    Path f = tmp.newFile("actions.txt").toPath();
    Files.writeString(f, text);
    return SimGridTiTrace.read(f, UNIT);
  }

  @Test public void readsTheRecordedHaloExchange() throws Exception {
    Traffic t = SimGridTiTrace.read(TRACES.resolve("halo2d/trace.index"), TimeModel.standard());
    assertEquals(16, t.vms());
    // 40 steps x 16 ranks x 4 neighbours, plus 10 allreduces through rank 0 (15 in, 15 out).
    assertEquals(40 * 16 * 4 + 10 * 30, t.sends().size());
    for (double[] s : t.sends()) {
      int src = (int) s[1], dst = (int) s[2];
      if (s[3] == 2048 * 8) {
        int dr = Math.abs(src / 4 - dst / 4), dc = Math.abs(src % 4 - dst % 4);
        assertTrue("halo message between non-neighbours " + src + " and " + dst,
            (dr == 0 && (dc == 1 || dc == 3)) || (dc == 0 && (dr == 1 || dr == 3)));
      }
    }
  }

  @Test public void readsTheRecordedRingAndMasterWorker() throws Exception {
    Traffic ring = SimGridTiTrace.read(TRACES.resolve("ring/trace.index"), TimeModel.standard());
    assertEquals(8, ring.vms());
    assertEquals(12 * 8 * 2, ring.sends().size());
    Traffic mw = SimGridTiTrace.read(TRACES.resolve("master-worker/trace.index"), TimeModel.standard());
    assertEquals(8, mw.vms());
    // 56 tasks (size + payload) and 7 stop messages from the master, 56 results back.
    assertEquals(56 * 2 + 7 + 56, mw.sends().size());
    for (double[] s : mw.sends()) assertTrue((int) s[1] == 0 || (int) s[2] == 0);
  }

  @Test public void replaysComputeSendReceiveAndCollectivesInTime() throws Exception {
    Traffic t = readText(String.join("\n",
        "0 init", "1 init",
        "0 compute 5", "0 send 1 7 10 2",          // leaves at 5, arrives at 15 (10 bytes at 1 B/s)
        "1 recv 0 7 10 2", "1 compute 1",          // rank 1 is at 16
        "1 isend 0 3 2 1",                          // 2 ints = 8 bytes, leaves at 16, arrives 24
        "0 irecv 1 3 2 1", "0 wait",                // rank 0 was at 15 (sending pushed it), now 24
        "0 sendRecv 1 1 1 1", "1 sendRecv 1 0 1 0", // rank 0 sends at 24, rank 1 at 16
        "0 barrier", "1 barrier",
        "0 finalize", "1 finalize", ""));
    List<double[]> s = new java.util.ArrayList<>(t.sends());
    s.sort(java.util.Comparator.comparingDouble(r -> r[0]));   // stable: same-time sends keep replay order
    double[][] expected = {
        {5, 0, 1, 10},   // 10 chars
        {16, 1, 0, 8},   // 2 ints, isend after receiving at 15 and computing 1
        {16, 1, 0, 1},   // sendRecv without a type and no type named at init: one byte
        {24, 0, 1, 1},   // rank 0: send pushed it to 15, the wait for the isend to 24
        {25, 1, 0, 0},   // barrier: rank 1 (at 25 after rank 0's byte) reports to the root...
        {25, 0, 1, 0}};  // ...which releases it
    assertEquals(expected.length, s.size());
    for (int i = 0; i < expected.length; i++) org.junit.Assert.assertArrayEquals("send " + i, expected[i], s.get(i), 1e-12);
  }

  private static java.util.List<String> rows(Traffic t) {
    return t.sends().stream().map(r -> (long) r[0] + "," + (int) r[1] + "->" + (int) r[2] + "," + (long) r[3])
        .sorted().toList();
  }

  @Test public void gatherAndAlltoallBecomeMessages() throws Exception {
    // Rank 0 computes 2 s; gather 4 bytes to root 1 (done at 6); then 1 byte from every rank to every other.
    Traffic t = readText("0 compute 2\n0 gather 4 4 1\n0 alltoall 1 1\n"
        + "1 gather 4 4 1\n1 alltoall 1 1\n2 gather 4 4 1\n2 alltoall 1 1\n");
    assertEquals(java.util.List.of("0,2->0,1", "0,2->1,1", "0,2->1,4", "2,0->1,1", "2,0->1,4", "2,0->2,1",
        "6,1->0,1", "6,1->2,1"), rows(t));
  }

  @Test public void allgatherAndScatterGoThroughTheRoot() throws Exception {
    // allgather: 2 bytes to root 0 (in at 2), the 6 gathered bytes out; scatter: 3 bytes from root 0 at 2.
    Traffic t = readText("0 allgather 2 2\n0 scatter 3 3 0\n1 allgather 2 2\n1 scatter 3 3 0\n"
        + "2 allgather 2 2\n2 scatter 3 3 0\n");
    assertEquals(java.util.List.of("0,1->0,2", "0,2->0,2", "2,0->1,3", "2,0->1,6", "2,0->2,3", "2,0->2,6"), rows(t));
  }

  @Test public void malformedTracesAreRejectedWithFileLineAndReason() throws Exception {
    String[][] cases = {
        {"0 init\n0 alltoallv 5 5\n1 init\n", "actions.txt:2: action 'alltoallv' is not supported"},
        {"0 init\n0 gather 5\n1 init\n", "actions.txt:2: 'gather' takes 2 to 5 arguments, got 1"},
        {"0 gather 4 4 7\n1 gather 4 4 7\n", "actions.txt:1: rank 7 is outside 0..1"},
        {"0 init\n0 send 1 0\n1 init\n", "actions.txt:2: 'send' takes 3 to 4 arguments, got 2"},
        {"0 init\n0 send 5 0 10\n1 recv 0 0 10\n", "actions.txt:2: rank 5 is outside 0..1"},
        {"0 init\n0 compute -3\n1 init\n", "actions.txt:2: flops must be >= 0"},
        {"0 init\nx send 1 0 10\n", "actions.txt:2: rank must be a whole number"},
        {"0 send 1 0 10 9\n1 recv 0 0 10\n", "actions.txt:1: datatype code 9"},
        {"0 recv 1 0 10\n1 recv 0 0 10\n", "actions.txt:1: rank 0 waits forever"},
        {"0 send 1 0 10\n1 recv 0 0 10\n0 barrier\n1 bcast 4\n", "actions.txt:4: collective #1 is 'bcast' here but 'barrier' on rank 0 (actions.txt:3)"},
        {"0 init\n", "actions.txt:0: a trace needs at least 2 ranks"},
    };
    for (String[] c : cases) {
      try {
        readText(c[0]);
        fail("accepted: " + c[0]);
      } catch (TraceFormatException e) {
        assertTrue(e.getMessage() + " should start with " + c[1], e.getMessage().startsWith(c[1]));
      } finally {
        Files.deleteIfExists(tmp.getRoot().toPath().resolve("actions.txt"));
      }
    }
  }

  @Test public void anIndexNamingAMissingRankFileOrTheWrongRankIsRejected() throws Exception {
    Path dir = tmp.newFolder("t").toPath();
    Files.writeString(dir.resolve("r0.txt"), "0 send 1 0 4\n");
    Files.writeString(dir.resolve("r1.txt"), "0 recv 0 0 4\n");
    Files.writeString(dir.resolve("index"), "r0.txt\nr1.txt\n");
    try {
      SimGridTiTrace.read(dir.resolve("index"), UNIT);
      fail();
    } catch (TraceFormatException e) {
      assertEquals("r1.txt:1: line of rank 0 in the file of rank 1", e.getMessage());
    }
    Files.writeString(dir.resolve("index"), "r0.txt\nmissing.txt\n");
    try {
      SimGridTiTrace.read(dir.resolve("index"), UNIT);
      fail();
    } catch (TraceFormatException e) {
      assertEquals("index:2: rank file 'missing.txt' does not exist", e.getMessage());
    }
  }
}
