package org.vmqsc.server.standalone;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.vmqsc.db.TestDatabases;
import org.vmqsc.protocol.BoundaryKind;
import org.vmqsc.protocol.recovery.SnapshotSurvivors;
import org.vmqsc.server.catalog.Catalog;
import org.vmqsc.server.catalog.StandaloneCatalog;
import org.vmqsc.server.service.BoundaryReport;
import org.vmqsc.server.service.FailureKind;
import org.vmqsc.server.service.HostReport;
import org.vmqsc.server.service.RecoveryPolicy;
import org.vmqsc.server.service.Views.HostFailurePlan;
import org.vmqsc.server.api.ApiClient;
import org.vmqsc.server.api.ApiKeys;

/** The standalone manager end to end: API, catalog and keys composed, and all of it found again after a restart. */
public class ManagerServerTest {

  private Path home;
  private String url;

  @Before public void setUp() throws Exception {
    url = TestDatabases.freshDatabase("manager"); // skips where MariaDB cannot run
    home = Files.createTempDirectory("vmqsc-manager");
  }

  @After public void tearDown() {
    if (home != null) TestDatabases.deleteTree(home);
  }

  private ManagerServer start() throws Exception {
    return ManagerServer.start(new ManagerServer.Config(home, url, TestDatabases.user(), TestDatabases.password(), 0));
  }

  @Test public void servesTheCatalogSignedAndKeepsEverythingAcrossARestart() throws Exception {
    String groupId;
    ApiKeys keys;
    try (ManagerServer manager = start()) {
      assertTrue(manager.port() > 0);
      assertEquals("manager: listening on http://127.0.0.1:" + manager.port() + "/client/api (keys in "
          + home.toAbsolutePath().resolve(ApiKeys.FILE_NAME) + ")", manager.readyLine());
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(manager.keysFile())));
      keys = ApiKeys.loadOrCreate(home);
      ApiClient client = new ApiClient(manager.endpoint(), keys);

      ApiClient.Reply created = client.get("createProtectionGroup", "name", "web", "baseperiod", "60000");
      assertTrue(created.body().toString(), created.ok());
      groupId = created.response("createProtectionGroup").getAsJsonObject("protectiongroup").get("id").getAsString();
      assertTrue(client.get("addVmToProtectionGroup", "id", groupId, "virtualmachineid", "vm-1",
          "hostid", "host-1").ok());
      assertTrue(client.post("addVmToProtectionGroup", "id", groupId, "virtualmachineid", "vm-2",
          "vmclass", "MI_2").ok());
      assertEquals("[vm-1, vm-2]", vms(client, groupId));

      // No agents yet: listHosts is empty.
      assertEquals(new JsonObject(), client.get("listHosts").response("listHosts"));

      // An admin-asked recovery with no agent: every VM counts failed and nothing can restore them, so the job
      // fails with a reason, and the manager goes on serving.
      JsonObject job = client.awaitJob(client.post("recoverProtectionGroup", "id", groupId)
          .response("recoverProtectionGroup").get("jobid").getAsString(), java.time.Duration.ofSeconds(30));
      assertEquals(job.toString(), 2, job.get("jobstatus").getAsInt());
      assertTrue(job.toString(), !job.getAsJsonObject("jobresult").get("errortext").getAsString().isBlank());

      ApiClient forged = new ApiClient(manager.endpoint(), keys.apiKey(), keys.secretKey() + "x");
      ApiClient.Reply refused = forged.get("createProtectionGroup", "name", "forged", "baseperiod", "60000");
      assertEquals(refused.body().toString(), 401, refused.status());
      assertEquals(1, client.get("listProtectionGroups").response("listProtectionGroups").get("count").getAsInt());
    }

    try (ManagerServer again = start()) {
      assertEquals("the same keys are kept", keys, ApiKeys.loadOrCreate(home));
      ApiClient client = new ApiClient(again.endpoint(), keys);
      JsonObject list = client.get("listProtectionGroups").response("listProtectionGroups");
      assertEquals(list.toString(), 1, list.get("count").getAsInt());
      assertEquals(groupId, list.getAsJsonArray("protectiongroup").get(0).getAsJsonObject().get("id").getAsString());
      assertEquals("[vm-1, vm-2]", vms(client, groupId));
    }
  }

  @Test public void aRecoveryLeftRunningIsTakenUpAtStartAndRecordedFailedWithoutAgents() throws Exception {
    String groupId;
    // A previous manager claimed a recovery and crashed before finishing it.
    try (StandaloneCatalog crashed = StandaloneCatalog.open(url, TestDatabases.user(), TestDatabases.password(),
        null, "crashed-manager", 3)) {
      Catalog catalog = crashed.catalog();
      groupId = catalog.createGroup("left running", 500, RecoveryPolicy.AUTOMATIC, null).uuid();
      catalog.addVm(groupId, "vm-1", "SI", "host-1");
      catalog.report(new HostReport("host-1", groupId, List.of(new BoundaryReport("vm-1", BoundaryKind.CHECKPOINT,
          0, 0, false, true, 1, "stable://vm-1/0", "sha256:0", 0, 0, new long[1], new long[1])), List.of()));
      HostFailurePlan plan = catalog.planRecovery(groupId, Set.of("vm-1"),
          new SnapshotSurvivors(List.of(), Set.of(0)));
      assertTrue(catalog.claimRecovery(groupId, FailureKind.HOST, "host-1", plan).isPresent());
      assertEquals(1, catalog.runningRecoveries().size());
    }

    // The new manager takes it up, finds no host to restore on, records it failed, and serves anyway.
    try (ManagerServer manager = start()) {
      ApiClient client = new ApiClient(manager.endpoint(), ApiKeys.loadOrCreate(home));
      JsonObject event;
      long end = System.nanoTime() + 30_000_000_000L; // it is taken up once a lease has passed since the start
      do {
        Thread.sleep(200);
        event = client.get("listRecoveryEvents", "protectiongroupid", groupId)
            .response("listRecoveryEvents").getAsJsonArray("recoveryevent").get(0).getAsJsonObject();
      } while (event.get("state").getAsString().equals("RUNNING") && System.nanoTime() < end);
      assertEquals(event.toString(), "FAILED", event.get("state").getAsString());
      assertTrue(event.toString(), event.get("outcome").getAsString().contains("no live host"));
    }
  }

  @Test public void badConfigurationIsRefusedBeforeAnythingStarts() {
    Path nowhere = home.resolve("not-made");
    for (Runnable bad : new Runnable[] {
        () -> new ManagerServer.Config(nowhere, null, null, null, 70000),
        () -> new ManagerServer.Config(nowhere, null, "someone", null, 0),
        () -> new ManagerServer.Config(nowhere, "postgres://db/x", null, null, 0)}) {
      try {
        bad.run();
        throw new AssertionError("accepted");
      } catch (IllegalArgumentException expected) {
        // refused
      }
    }
    assertTrue(Files.notExists(nowhere));
  }

  private static String vms(ApiClient client, String groupId) throws Exception {
    JsonArray vms = client.get("listProtectionGroups", "id", groupId).response("listProtectionGroups")
        .getAsJsonArray("protectiongroup").get(0).getAsJsonObject().getAsJsonArray("vm");
    StringBuilder out = new StringBuilder("[");
    for (int i = 0; i < vms.size(); i++) {
      out.append(i > 0 ? ", " : "").append(vms.get(i).getAsJsonObject().get("virtualmachineid").getAsString());
    }
    return out.append("]").toString();
  }
}
