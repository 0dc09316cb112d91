package org.vmqsc.agent.process;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.vmqsc.agent.wire.WireMessages.Reports;

/**
 * The report sender against a manager on loopback that refuses every report the way the manager's catalog does: a
 * group it does not know (deleted while this host could not hear) makes the agent drop it; any other refusal only
 * drops the batch.
 */
public class ReportSenderTest {

  @org.junit.Rule public org.junit.rules.TemporaryFolder tmp = new org.junit.rules.TemporaryFolder();
  private HttpServer manager;
  private final AtomicInteger calls = new AtomicInteger();
  private volatile String refusal;

  @Before public void startManager() throws Exception {
    manager = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    manager.createContext("/agent/v1/report", exchange -> {
      calls.incrementAndGet();
      exchange.getRequestBody().readAllBytes();
      byte[] body = refusal.getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(409, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    manager.start();
  }

  @After public void stopManager() {
    manager.stop(0);
  }

  private List<String> send(String answer, String group) throws Exception {
    refusal = answer;
    List<String> unknown = new CopyOnWriteArrayList<>();
    java.nio.file.Path events = tmp.newFile().toPath();
    EventLog log = EventLog.open(events, "agent test");
    ReportSender sender = new ReportSender(new ManagerClient(URI.create("http://127.0.0.1:"
        + manager.getAddress().getPort() + "/"), "token"), log, unknown::add);
    try {
      sender.send(new Reports("host-1", group, List.of()));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      // The callback runs right after the refusal is written down, on the sender's thread: wait for both.
      while (!java.nio.file.Files.readString(events).contains("report_refused") || sender.waiting() > 0) {
        assertTrue("the refusal never came back", System.nanoTime() < deadline);
        Thread.sleep(10);
      }
      Thread.sleep(50);
    } finally {
      sender.close();
      log.close();
    }
    return unknown;
  }

  @Test public void aReportOfAGroupTheManagerDoesNotKnowDropsTheGroup() throws Exception {
    assertEquals(List.of("g-1"), send("{\"error\":\"no protection group g-1\",\"reason\":\"UNKNOWN_GROUP\"}", "g-1"));
  }

  @Test public void anyOtherRefusalOnlyDropsTheBatch() throws Exception {
    assertEquals(List.of(), send("{\"error\":\"VM vm-9 is not in group g-1\",\"reason\":\"UNKNOWN_VM\"}", "g-1"));
    assertEquals(List.of(), send("{\"error\":\"from an older manager\"}", "g-1"));
  }
}
