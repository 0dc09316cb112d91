package org.vmqsc.server.api;

import static org.junit.Assert.assertEquals;
import static org.vmqsc.server.api.ApiFixture.assertOk;

import com.google.gson.JsonObject;
import java.util.List;
import org.junit.Rule;
import org.junit.Test;
import org.vmqsc.protocol.BoundaryKind;
import org.vmqsc.server.service.BoundaryReport;
import org.vmqsc.server.service.HostReport;

/** listVmCheckpoints, listLogSegments, listRecoveryLines, listRecoveryEvents over what hosts reported. */
public class ApiHistoryTest {

  @Rule public final ApiFixture api = new ApiFixture();

  @Test
  public void checkpointsAndLinesAsHostsReportedThem() throws Exception {
    String group = api.createGroup("g");
    assertOk(api.client.get("addVmToProtectionGroup", "id", group, "virtualmachineid", "vm-a", "hostid", "h1"));
    assertOk(api.client.get("addVmToProtectionGroup", "id", group, "virtualmachineid", "vm-b", "hostid", "h1"));
    for (String vm : List.of("vm-a", "vm-b")) {
      api.service.report(new HostReport("h1", group, List.of(new BoundaryReport(vm, BoundaryKind.CHECKPOINT, 0, 0,
          false, true, 4096, "stable/" + vm + "/0", "sha256:" + vm, 0, 0, new long[2], new long[2])), List.of()));
    }

    JsonObject all = api.client.get("listVmCheckpoints", "protectiongroupid", group).response("listVmCheckpoints");
    assertEquals(2, all.get("count").getAsInt());
    JsonObject onlyB = api.client.get("listVmCheckpoints", "protectiongroupid", group, "virtualmachineid", "vm-b",
        "includeremoved", "true").response("listVmCheckpoints");
    assertEquals(1, onlyB.get("count").getAsInt());
    JsonObject cp = onlyB.getAsJsonArray("vmcheckpoint").get(0).getAsJsonObject();
    assertEquals("vm-b", cp.get("virtualmachineid").getAsString());
    assertEquals(0, cp.get("index").getAsLong());
    assertEquals("STABLE", cp.get("state").getAsString());
    assertEquals(4096, cp.get("size").getAsLong());
    assertEquals("stable/vm-b/0", cp.get("location").getAsString());
    assertEquals("the host whose report recorded it", "h1", cp.get("hostid").getAsString());

    JsonObject lines = api.client.get("listRecoveryLines", "protectiongroupid", group)
        .response("listRecoveryLines");
    assertEquals(1, lines.get("count").getAsInt());
    JsonObject line = lines.getAsJsonArray("recoveryline").get(0).getAsJsonObject();
    assertEquals(0, line.get("index").getAsLong());
    assertEquals(2, line.getAsJsonArray("entry").size());
    assertEquals(group, line.get("protectiongroupid").getAsString());

    assertEquals(new JsonObject(), api.client.get("listRecoveryEvents", "protectiongroupid", group)
        .response("listRecoveryEvents"));
    JsonObject groupNow = api.client.get("listProtectionGroups", "id", group).response("listProtectionGroups")
        .getAsJsonArray("protectiongroup").get(0).getAsJsonObject();
    assertEquals(0, groupNow.get("lineindex").getAsLong());
  }

  @Test
  public void logSegmentsAsHostsReportedThem() throws Exception {
    String group = api.createGroup("g");
    assertOk(api.client.get("addVmToProtectionGroup", "id", group, "virtualmachineid", "vm-a", "vmclass", "MI_2",
        "hostid", "h1"));
    assertEquals(new JsonObject(), api.client.get("listLogSegments", "protectiongroupid", group)
        .response("listLogSegments"));
    api.service.report(new HostReport("h1", group, List.of(
        new BoundaryReport("vm-a", BoundaryKind.CHECKPOINT, 0, 0, false, true, 4096, "stable/vm-a/0", "sha256:a0",
            0, 0, new long[1], new long[1]),
        new BoundaryReport("vm-a", BoundaryKind.LOG_SEGMENT, 1, 0, false, false, 512, "staging/vm-a/log1",
            "sha256:a1", 0, 0, new long[1], new long[1])), List.of()));

    JsonObject segments = api.client.get("listLogSegments", "protectiongroupid", group, "includeremoved", "true")
        .response("listLogSegments");
    assertEquals(1, segments.get("count").getAsInt());
    JsonObject s = segments.getAsJsonArray("logsegment").get(0).getAsJsonObject();
    assertEquals("vm-a", s.get("virtualmachineid").getAsString());
    assertEquals(0, s.get("firstindex").getAsLong());
    assertEquals(1, s.get("index").getAsLong());
    assertEquals("STAGED", s.get("state").getAsString());
    assertEquals(512, s.get("size").getAsLong());
    assertEquals("staging/vm-a/log1", s.get("location").getAsString());
    JsonObject pastTheEnd = api.client.get("listLogSegments", "protectiongroupid", group, "page", "2", "pagesize", "1")
        .response("listLogSegments");
    assertEquals("a page past the end gives the count and no items, as CloudStack writes it", 1,
        pastTheEnd.get("count").getAsInt());
    assertEquals(null, pastTheEnd.get("logsegment"));
  }
}
