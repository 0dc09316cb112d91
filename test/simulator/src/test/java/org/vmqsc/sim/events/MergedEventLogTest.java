package org.vmqsc.sim.events;

import static org.junit.Assert.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** How the merge orders the events of processes that write from several threads. */
public class MergedEventLogTest {

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test public void aSendWrittenAfterALaterEventStillComesBeforeItsDelivery() throws IOException {
    // The sender stamps its send before the frame leaves but writes it after another thread wrote a later event;
    // the receiver delivers in between.
    Path sender = file("sender", "{\"t\":10.000,\"event\":\"peer_unreachable\"}", "{\"t\":9.990,\"event\":\"send\"}",
        "{\"t\":10.300,\"event\":\"checkpoint\"}");
    Path receiver = file("receiver", "{\"t\":9.995,\"event\":\"deliver\"}");

    assertEquals(List.of("send", "deliver", "peer_unreachable", "checkpoint"), merged(sender, receiver));
  }

  @Test public void aClockThatSteppedBackReordersNothingWithinAProcess() throws IOException {
    Path stepped = file("stepped", "{\"t\":100.0,\"event\":\"a\"}", "{\"t\":40.0,\"event\":\"b\"}",
        "{\"t\":40.5,\"event\":\"c\"}");
    Path other = file("other", "{\"t\":50.0,\"event\":\"x\"}");

    // b and c were written after a: they stay after it, and x (before a in time) comes first.
    assertEquals(List.of("x", "a", "b", "c"), merged(stepped, other));
  }

  @Test public void equalTimesKeepFileThenLineOrder() throws IOException {
    Path first = file("first", "{\"t\":1.0,\"event\":\"a1\"}", "{\"t\":1.0,\"event\":\"a2\"}");
    Path second = file("second", "{\"t\":1.0,\"event\":\"b1\"}");

    assertEquals(List.of("a1", "a2", "b1"), merged(first, second));
  }

  private Path file(String process, String... events) throws IOException {
    List<String> lines = new ArrayList<>();
    lines.add("{\"t\":0,\"event\":\"header\",\"process\":\"" + process + "\",\"time_unit\":\"s\"}");
    lines.addAll(List.of(events));
    return Files.write(tmp.newFile(process + ".jsonl").toPath(), lines);
  }

  private static List<String> merged(Path... files) throws IOException {
    List<String> out = new ArrayList<>();
    MergedEventLog.merge(List.of(files), e -> {
      if (!e.get("event").getAsString().equals("header")) out.add(e.get("event").getAsString());
    });
    return out;
  }
}
