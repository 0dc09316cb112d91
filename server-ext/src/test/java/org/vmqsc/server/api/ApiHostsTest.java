package org.vmqsc.server.api;

import static org.junit.Assert.assertEquals;
import static org.vmqsc.server.api.ApiFixture.assertError;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.Rule;
import org.junit.Test;
import org.vmqsc.server.ManualClock;
import org.vmqsc.server.failure.FailureDetector;

/** listHosts from the directory, and the directory over the failure detector's leases. */
public class ApiHostsTest {

  @Rule public final ApiFixture api = new ApiFixture();

  @Test
  public void listsHostsWithTheirLeases() throws Exception {
    Instant end = Instant.parse("2026-03-01T10:00:03Z");
    api.hosts.add(new HostDirectory.Host("h-1", "h1", HostDirectory.LeaseState.ACTIVE, 0, end));
    api.hosts.add(new HostDirectory.Host("h-2", "h2", HostDirectory.LeaseState.FAILED, 1, end));
    JsonObject all = api.client.get("listHosts").response("listHosts");
    assertEquals(2, all.get("count").getAsInt());
    JsonArray hosts = all.getAsJsonArray("host");
    assertEquals("Up", hosts.get(0).getAsJsonObject().get("state").getAsString());
    JsonObject down = hosts.get(1).getAsJsonObject();
    assertEquals("h2", down.get("name").getAsString());
    assertEquals("Down", down.get("state").getAsString());
    assertEquals("FAILED", down.get("leasestate").getAsString());
    assertEquals(1, down.get("epoch").getAsLong());
    assertEquals("2026-03-01T10:00:03+0000", down.get("leaseend").getAsString());
    JsonObject one = api.client.get("listHosts", "id", "h-2", "pagesize", "1").response("listHosts");
    assertEquals(1, one.get("count").getAsInt());
    assertEquals("a directory that does not know the lease says nothing of it", null, down.get("leaseduration"));
  }

  /** The admin UI asks for type Routing, as inside CloudStack, where system VMs are listed as hosts too. */
  @Test
  public void everyAgentIsARoutingHost() throws Exception {
    api.hosts.add(new HostDirectory.Host("h-1", "h1", HostDirectory.LeaseState.ACTIVE, 0, Instant.EPOCH));
    JsonObject routing = api.client.get("listHosts", "type", "Routing").response("listHosts");
    assertEquals(1, routing.get("count").getAsInt());
    assertEquals("Routing", routing.getAsJsonArray("host").get(0).getAsJsonObject().get("type").getAsString());
    JsonObject none = api.client.get("listHosts", "type", "SecondaryStorageVM").response("listHosts");
    assertEquals("an empty list, as CloudStack answers it", null, none.get("host"));
  }

  @Test
  public void theLeaseLengthComesFromTheFailureDetector() {
    ManualClock clock = new ManualClock();
    FailureDetector detector = new FailureDetector(clock, Duration.ofMillis(3500));
    detector.heartbeat("a", 0);
    HostDirectory hosts = new FailureDetectorHosts(detector, clock, uuid -> uuid);
    assertEquals(Duration.ofMillis(3500), hosts.lease());
    JsonObject json = Json.host(hosts.hosts().get(0), hosts.lease());
    assertEquals(3500, json.get("leaseduration").getAsLong());
  }

  @Test
  public void aFailingDirectoryIsA530WithoutItsMessage() throws Exception {
    api.hostsFailure = new IllegalStateException("connection refused to db.internal:3306");
    ApiClient.Reply r = api.client.get("listHosts");
    JsonObject error = assertError(r, "listhostsresponse", 530, 4250);
    assertEquals(-1, error.toString().indexOf("db.internal"));
  }

  @Test
  public void failureDetectorHostsShowActiveExpiredAndFailed() {
    ManualClock clock = new ManualClock();
    FailureDetector detector = new FailureDetector(clock, Duration.ofSeconds(3));
    detector.heartbeat("a", 0);
    detector.heartbeat("b", 0);
    clock.advance(Duration.ofSeconds(2));
    detector.heartbeat("a", 0);
    clock.advance(Duration.ofSeconds(2)); // b's lease ended, not declared yet
    HostDirectory hosts = new FailureDetectorHosts(detector, clock, uuid -> "name-" + uuid);
    assertEquals(List.of(HostDirectory.LeaseState.ACTIVE, HostDirectory.LeaseState.EXPIRED),
        hosts.hosts().stream().map(HostDirectory.Host::leaseState).toList());
    detector.expired();
    HostDirectory.Host b = hosts.hosts().get(1);
    assertEquals(HostDirectory.LeaseState.FAILED, b.leaseState());
    assertEquals("name-b", b.name());
  }
}
