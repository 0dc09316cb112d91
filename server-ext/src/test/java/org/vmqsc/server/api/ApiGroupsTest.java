package org.vmqsc.server.api;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.vmqsc.server.api.ApiFixture.assertOk;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import org.junit.Rule;
import org.junit.Test;

/** create/list/update/delete round trips, members, paging, GET and POST alike. */
public class ApiGroupsTest {

  @Rule public final ApiFixture api = new ApiFixture();

  @Test
  public void createListUpdateDeleteRoundTrip() throws Exception {
    ApiClient.Reply created = api.client.post("createProtectionGroup", "name", "web tier", "baseperiod", "30000",
        "recoverypolicy", "manual", "earlyindexpolicy", "force_checkpoint");
    assertOk(created);
    JsonObject group = created.response("createProtectionGroup").getAsJsonObject("protectiongroup");
    String id = group.get("id").getAsString();
    assertEquals("web tier", group.get("name").getAsString());
    assertEquals(30000, group.get("baseperiod").getAsLong());
    assertEquals("MANUAL", group.get("recoverypolicy").getAsString());
    assertEquals(0, group.get("vmcount").getAsInt());
    assertTrue(group.get("created").getAsString().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\+0000"));

    JsonObject list = api.client.get("listProtectionGroups").response("listProtectionGroups");
    assertEquals(1, list.get("count").getAsInt());
    assertEquals(id, list.getAsJsonArray("protectiongroup").get(0).getAsJsonObject().get("id").getAsString());

    ApiClient.Reply updated = api.client.get("updateProtectionGroup", "id", id, "name", "web", "baseperiod",
        "45000", "recoverypolicy", "AUTOMATIC");
    assertOk(updated);
    JsonObject after = updated.response("updateProtectionGroup").getAsJsonObject("protectiongroup");
    assertEquals("web", after.get("name").getAsString());
    assertEquals(45000, after.get("baseperiod").getAsLong());
    assertEquals("AUTOMATIC", after.get("recoverypolicy").getAsString());
    JsonObject one = api.client.get("listProtectionGroups", "id", id).response("listProtectionGroups");
    assertEquals("web", one.getAsJsonArray("protectiongroup").get(0).getAsJsonObject().get("name").getAsString());

    ApiClient.Reply deleted = api.client.post("deleteProtectionGroup", "id", id);
    assertOk(deleted);
    assertTrue(deleted.response("deleteProtectionGroup").get("success").getAsBoolean());
    // CloudStack answers an empty list with an empty object.
    assertEquals(new JsonObject(), api.client.get("listProtectionGroups").response("listProtectionGroups"));
  }

  @Test
  public void addAndRemoveVms() throws Exception {
    String id = api.createGroup("g");
    ApiClient.Reply added = api.client.get("addVmToProtectionGroup", "id", id, "virtualmachineid", "vm-1",
        "vmclass", "MI_2", "hostid", "host-1");
    assertOk(added);
    api.client.get("addVmToProtectionGroup", "id", id, "virtualmachineid", "vm-2");
    JsonObject group = api.client.get("listProtectionGroups", "id", id).response("listProtectionGroups")
        .getAsJsonArray("protectiongroup").get(0).getAsJsonObject();
    assertEquals(2, group.get("vmcount").getAsInt());
    JsonArray vms = group.getAsJsonArray("vm");
    JsonObject first = vms.get(0).getAsJsonObject();
    assertEquals("vm-1", first.get("virtualmachineid").getAsString());
    assertEquals("MI_2", first.get("vmclass").getAsString());
    assertEquals("host-1", first.get("hostid").getAsString());
    assertEquals(0, first.get("number").getAsInt());
    JsonObject second = vms.get(1).getAsJsonObject();
    assertEquals("SI", second.get("vmclass").getAsString());
    assertFalse(second.has("hostid"));

    ApiClient.Reply removed = api.client.post("removeVmFromProtectionGroup", "id", id, "virtualmachineid", "vm-1");
    assertOk(removed);
    JsonObject now = removed.response("removeVmFromProtectionGroup").getAsJsonObject("protectiongroup");
    assertEquals(1, now.get("vmcount").getAsInt());
    assertEquals("vm-2", now.getAsJsonArray("vm").get(0).getAsJsonObject().get("virtualmachineid").getAsString());
    assertEquals(0, now.getAsJsonArray("vm").get(0).getAsJsonObject().get("number").getAsInt());
  }

  @Test
  public void aPhasedClassIsStoredAndListedBackInItsCanonicalForm() throws Exception {
    String id = api.createGroup("g");
    assertOk(api.client.get("addVmToProtectionGroup", "id", id, "virtualmachineid", "vm-1", "vmclass", "MI_4@2"));
    assertOk(api.client.get("addVmToProtectionGroup", "id", id, "virtualmachineid", "vm-2", "vmclass", "mi_3@0"));
    assertOk(api.client.get("addVmToProtectionGroup", "id", id, "virtualmachineid", "vm-3"));
    ApiClient.Reply changed = api.client.post("updateVmInProtectionGroup", "id", id, "virtualmachineid", "vm-3",
        "vmclass", "mi_5@4");
    assertOk(changed);
    JsonArray vms = api.client.get("listProtectionGroups", "id", id).response("listProtectionGroups")
        .getAsJsonArray("protectiongroup").get(0).getAsJsonObject().getAsJsonArray("vm");
    assertEquals("MI_4@2", vms.get(0).getAsJsonObject().get("vmclass").getAsString());
    assertEquals("MI_3@0 is plain MI_3", "MI_3", vms.get(1).getAsJsonObject().get("vmclass").getAsString());
    assertEquals("MI_5@4", vms.get(2).getAsJsonObject().get("vmclass").getAsString());
    assertEquals(java.util.List.of("MI_4@2", "MI_3", "MI_5@4"),
        api.service.members(id).stream().map(m -> m.vmClass()).toList());
    assertEquals(org.vmqsc.protocol.VmClass.mi(4, 2), api.service.config(id).classes().get(0));
  }

  @Test
  public void aVmsClassChangesUntilTheGroupIsEnabled() throws Exception {
    String id = api.createGroup("g");
    api.client.get("addVmToProtectionGroup", "id", id, "virtualmachineid", "vm-1");
    api.client.get("addVmToProtectionGroup", "id", id, "virtualmachineid", "vm-2");
    ApiClient.Reply changed = api.client.post("updateVmInProtectionGroup", "id", id, "virtualmachineid", "vm-2",
        "vmclass", "mi_3");
    assertOk(changed);
    JsonArray vms = changed.response("updateVmInProtectionGroup").getAsJsonObject("protectiongroup")
        .getAsJsonArray("vm");
    assertEquals("SI", vms.get(0).getAsJsonObject().get("vmclass").getAsString());
    assertEquals("MI_3", vms.get(1).getAsJsonObject().get("vmclass").getAsString());

    api.service.startGroup(id, System.currentTimeMillis());
    ApiClient.Reply refused = api.client.get("updateVmInProtectionGroup", "id", id, "virtualmachineid", "vm-1",
        "vmclass", "MI_2");
    String text = ApiFixture.assertError(refused, "updatevminprotectiongroupresponse", 431, 4350)
        .get("errortext").getAsString();
    assertTrue(text, text.contains("classes are fixed while the group runs"));
    JsonObject group = api.client.get("listProtectionGroups", "id", id).response("listProtectionGroups")
        .getAsJsonArray("protectiongroup").get(0).getAsJsonObject();
    assertEquals("SI", group.getAsJsonArray("vm").get(0).getAsJsonObject().get("vmclass").getAsString());
  }

  @Test
  public void theAdviceListsEveryVmWithItsProposalOrWhyThereIsNone() throws Exception {
    String id = api.createGroup("g");
    api.client.get("addVmToProtectionGroup", "id", id, "virtualmachineid", "vm-1");
    api.client.get("addVmToProtectionGroup", "id", id, "virtualmachineid", "vm-2", "vmclass", "MI_2");
    for (long i = 0; i <= 2; i++) {
      for (String vm : new String[] {"vm-1", "vm-2"}) {
        org.vmqsc.protocol.BoundaryKind kind = vm.equals("vm-2") && i % 2 == 1
            ? org.vmqsc.protocol.BoundaryKind.LOG_SEGMENT : org.vmqsc.protocol.BoundaryKind.CHECKPOINT;
        api.service.report(new org.vmqsc.server.service.HostReport("h1", id, java.util.List.of(
            new org.vmqsc.server.service.BoundaryReport(vm, kind, i, 0, false, true, 8192, "s/" + vm + i, "d", i,
                vm.equals("vm-1") ? 0 : 3 * i, new long[2], new long[2])), java.util.List.of()));
      }
    }
    JsonObject list = api.client.get("listVmClassAdvice", "protectiongroupid", id, "maxk", "3")
        .response("listVmClassAdvice");
    assertEquals(2, list.get("count").getAsInt());
    JsonObject quiet = list.getAsJsonArray("vmclassadvice").get(0).getAsJsonObject();
    assertEquals("vm-1", quiet.get("virtualmachineid").getAsString());
    assertEquals("SI", quiet.get("vmclass").getAsString());
    assertEquals("MI_3", quiet.get("proposedclass").getAsString());
    assertEquals(2, quiet.get("periods").getAsLong());
    assertEquals(8192, quiet.get("checkpointsize").getAsLong());
    assertTrue(quiet.get("reason").getAsString().contains("receives nothing"));
    JsonObject logging = list.getAsJsonArray("vmclassadvice").get(1).getAsJsonObject();
    assertEquals(6, logging.get("messagesreceived").getAsLong());
    assertEquals(3, logging.get("loggedmessages").getAsLong());
    assertEquals(8192 / 3 * 3, logging.get("receivedsizeperperiod").getAsLong(), 3);
  }

  @Test
  public void pagesCountEverythingAndShowOnePage() throws Exception {
    for (int i = 0; i < 5; i++) api.createGroup("g" + i);
    JsonObject page2 = api.client.get("listProtectionGroups", "page", "2", "pagesize", "2")
        .response("listProtectionGroups");
    assertEquals(5, page2.get("count").getAsInt());
    JsonArray items = page2.getAsJsonArray("protectiongroup");
    assertEquals(2, items.size());
    assertEquals("g2", items.get(0).getAsJsonObject().get("name").getAsString());
    JsonObject page3 = api.client.get("listProtectionGroups", "page", "3", "pagesize", "2")
        .response("listProtectionGroups");
    assertEquals(1, page3.getAsJsonArray("protectiongroup").size());
  }

  @Test
  public void valuesWithSpacesAndSymbolsSurviveSigning() throws Exception {
    String name = "a b+c&d=e/f?g*h~i%j élan";
    ApiClient.Reply r = api.client.get("createProtectionGroup", "name", name, "baseperiod", "1000");
    assertOk(r);
    assertEquals(name, r.response("createProtectionGroup").getAsJsonObject("protectiongroup").get("name")
        .getAsString());
    assertOk(api.client.post("createProtectionGroup", "name", name, "baseperiod", "1000"));
  }
}
