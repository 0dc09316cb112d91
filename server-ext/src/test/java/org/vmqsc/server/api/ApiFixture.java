package org.vmqsc.server.api;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.vmqsc.server.service.Views.GroupView;
import org.vmqsc.server.service.Views.MemberView;
import org.vmqsc.server.service.Views.RecoveryEventView;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.rules.ExternalResource;
import org.vmqsc.server.service.memory.InMemoryProtectionService;

/** A real API server on an ephemeral loopback port over the in-memory service, and a signed client for it. */
final class ApiFixture extends ExternalResource {

  final InMemoryProtectionService service = new InMemoryProtectionService();
  final List<HostDirectory.Host> hosts = new CopyOnWriteArrayList<>();
  /** Replaced by tests; counts its calls so a refused request can be shown to have started nothing. */
  volatile Function<String, Optional<RecoveryEventView>> recoverer = group -> Optional.empty();
  final AtomicInteger recoveries = new AtomicInteger();
  final AtomicInteger enables = new AtomicInteger();
  final AtomicInteger migrations = new AtomicInteger();
  volatile RuntimeException hostsFailure;

  Path home;
  ApiKeys keys;
  ApiServer server;
  ApiClient client;

  @Override
  protected void before() throws Throwable {
    home = Files.createTempDirectory("vmqsc-api");
    keys = ApiKeys.loadOrCreate(home);
    HostDirectory directory = () -> {
      if (hostsFailure != null) throw hostsFailure;
      return List.copyOf(hosts);
    };
    Cluster counting = new Cluster() {
      @Override public GroupView enable(String group) {
        enables.incrementAndGet();
        return service.startGroup(group, System.currentTimeMillis());
      }

      @Override public MemberView migrate(String vm, String host) {
        migrations.incrementAndGet();
        service.moveVm(vm, host);
        String group = service.groupOfVm(vm).orElseThrow();
        return service.members(group).stream().filter(m -> m.vmUuid().equals(vm)).findFirst().orElseThrow();
      }

      @Override public Optional<RecoveryEventView> recover(String group) {
        recoveries.incrementAndGet();
        return recoverer.apply(group);
      }

      @Override public void delete(String group) {
        service.deleteGroup(group);  // no host runs it here
      }
    };
    server = new ApiServer(service, directory, counting, keys, 0).start();
    client = new ApiClient(server.endpoint(), keys);
  }

  @Override
  protected void after() {
    try {
      server.close();
      try (Stream<Path> files = Files.walk(home)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** A group made through the API; returns its uuid. */
  String createGroup(String name) throws IOException, InterruptedException {
    ApiClient.Reply r = client.get("createProtectionGroup", "name", name, "baseperiod", "60000");
    assertEquals(r.body().toString(), 200, r.status());
    return r.response("createProtectionGroup").getAsJsonObject("protectiongroup").get("id").getAsString();
  }

  /** Everything the API shows about groups and their recoveries: equal before and after a refused request. */
  String snapshot() throws IOException, InterruptedException {
    StringBuilder all = new StringBuilder(client.get("listProtectionGroups").body().toString());
    for (var g : service.listGroups(org.vmqsc.server.service.PageRequest.first(1000)).items()) {
      for (String list : new String[] {"listVmCheckpoints", "listRecoveryLines", "listRecoveryEvents"}) {
        all.append(client.get(list, "protectiongroupid", g.uuid()).body());
      }
    }
    return all.toString();
  }

  /** The CloudStack-shaped error: status = errorcode, both codes, a text, and nothing of a stack trace. */
  static JsonObject assertError(ApiClient.Reply r, String responseName, int code, int csCode) {
    String body = r.body().toString();
    assertEquals(body, code, r.status());
    JsonObject error = r.body().getAsJsonObject(responseName);
    assertNotNull("no " + responseName + " in " + body, error);
    assertEquals(body, code, error.get("errorcode").getAsInt());
    assertEquals(body, csCode, error.get("cserrorcode").getAsInt());
    assertFalse(body, error.get("errortext").getAsString().isBlank());
    assertNoStackTrace(body);
    return error;
  }

  static void assertNoStackTrace(String body) {
    assertFalse(body, body.contains("\\tat ") || body.contains(".java:") || body.contains("Exception"));
  }

  static void assertOk(ApiClient.Reply r) {
    assertTrue(r.body().toString(), r.ok());
  }
}
