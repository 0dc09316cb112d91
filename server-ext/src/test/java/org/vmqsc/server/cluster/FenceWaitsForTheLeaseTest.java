package org.vmqsc.server.cluster;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.junit.Test;
import org.vmqsc.server.failure.FailureDetector;

/**
 * A host a recovery counts as failed while its lease may still run (it only answered a snapshot too slowly) is cut
 * off for good and waited out: its VMs are stopped by its own lease keeper before the manager restores them.
 */
public class FenceWaitsForTheLeaseTest {

  @Test(timeout = 10_000)
  public void fencingALiveHostWaitsUntilItsLeaseHasEnded() {
    FailureDetector detector = new FailureDetector(Clock.systemUTC(), Duration.ofMillis(400));
    AgentRegistry agents = new AgentRegistry();
    // An agent whose order endpoint refuses connections: it is alive for the detector, silent for orders.
    agents.register(new AgentRegistry.Agent("h1", "h1", "http://127.0.0.1:9/", "127.0.0.1:9", "boot-1", false));
    HttpHostChannel channel = new HttpHostChannel(agents, detector, "token", group -> {
      throw new AssertionError("no deployment");
    });
    detector.heartbeat("h1", 0);
    Instant leaseEnd = detector.leaseEnd("h1").orElseThrow();

    channel.fence("h1");

    assertTrue("fence returned before the host's lease ended", !Instant.now().isBefore(leaseEnd));
    assertTrue(detector.isFailed("h1"));
    assertEquals("its late heartbeats renew nothing", FailureDetector.Beat.FENCED, detector.heartbeat("h1", 0).beat());
    assertTrue("a fenced host is not live for the coordinator", channel.liveHosts().isEmpty());
  }
}
