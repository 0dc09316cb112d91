package org.vmqsc.server.api;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.List;
import java.util.Map;

/**
 * listApis: every command with its parameters, in the shape CloudStack answers it. CloudMonkey's {@code sync}
 * builds its command cache from this answer, and refuses to call a command that is not in that cache, so this is
 * what lets {@code cmk} talk to the manager.
 */
final class ApiCatalog {

  record Param(String name, String type, boolean required, String description) {}

  record Api(String name, boolean async, String description, List<Param> params) {}

  private static final Param PAGE = new Param("page", "integer", false, "page number, from 1");
  private static final Param PAGE_SIZE = new Param("pagesize", "integer", false, "items per page, 1 to 1000");
  private static final Param GROUP_ID = new Param("protectiongroupid", "uuid", true, "the protection group");

  static final List<Api> APIS = List.of(
      new Api("createProtectionGroup", false, "Creates a protection group", List.of(
          new Param("name", "string", true, "the group's name"),
          new Param("baseperiod", "long", true, "base checkpoint period T0 in milliseconds"),
          new Param("recoverypolicy", "string", false, "AUTOMATIC (default) or MANUAL"),
          new Param("earlyindexpolicy", "string", false, "ADVANCE_AND_LOG (default) or FORCE_CHECKPOINT"))),
      new Api("listProtectionGroups", false, "Lists protection groups with their VMs", List.of(
          new Param("id", "uuid", false, "only this group"), PAGE, PAGE_SIZE)),
      new Api("updateProtectionGroup", false, "Updates a protection group", List.of(
          new Param("id", "uuid", true, "the group"),
          new Param("name", "string", false, "new name"),
          new Param("baseperiod", "long", false, "new T0 in milliseconds, only before the first checkpoint"),
          new Param("recoverypolicy", "string", false, "AUTOMATIC or MANUAL"))),
      new Api("deleteProtectionGroup", false, "Deletes a protection group and stops it on its hosts; its records stay"
          + " as history, what it stored goes at the hosts' next reconciliation", List.of(
          new Param("id", "uuid", true, "the group"))),
      new Api("addVmToProtectionGroup", false, "Adds a VM to a protection group", List.of(
          new Param("id", "uuid", true, "the group"),
          new Param("virtualmachineid", "uuid", true, "the VM"),
          new Param("vmclass", "string", false, "SI (default), MI_k with k >= 2, or MI_k@phase with"
              + " 0 <= phase < k (checkpoints at the base boundaries n with n mod k = phase)"),
          new Param("hostid", "uuid", false, "the host the VM runs on"))),
      new Api("removeVmFromProtectionGroup", false, "Removes a VM from a protection group", List.of(
          new Param("id", "uuid", true, "the group"),
          new Param("virtualmachineid", "uuid", true, "the VM"))),
      new Api("updateVmInProtectionGroup", false, "Changes a VM's class in a protection group (before the group is"
          + " enabled: the recovery line reads recorded checkpoints by each VM's class)", List.of(
          new Param("id", "uuid", true, "the group"),
          new Param("virtualmachineid", "uuid", true, "the VM"),
          new Param("vmclass", "string", true, "SI, MI_k with k >= 2, or MI_k@phase with 0 <= phase < k"
              + " (checkpoints at the base boundaries n with n mod k = phase)"))),
      new Api("listVmClassAdvice", false, "Lists the class proposed for each VM of a group from its recorded"
          + " traffic, MI classes with their phase (MI_k@phase)", List.of(GROUP_ID,
          new Param("maxk", "integer", false, "the longest interval k to propose, 2 to 64 (default 4)"))),
      new Api("listVmCheckpoints", false, "Lists a group's checkpoints", List.of(
          GROUP_ID, new Param("virtualmachineid", "uuid", false, "only this VM's"),
          new Param("includeremoved", "boolean", false, "also collected and discarded ones"), PAGE, PAGE_SIZE)),
      new Api("listLogSegments", false, "Lists a group's sealed receive-log segments (what MI VMs write between"
          + " their checkpoints)", List.of(GROUP_ID,
          new Param("includeremoved", "boolean", false, "also collected and discarded ones"), PAGE, PAGE_SIZE)),
      new Api("listRecoveryLines", false, "Lists a group's recovery lines", List.of(GROUP_ID, PAGE, PAGE_SIZE)),
      new Api("enableProtectionGroup", true, "Starts protecting a group: its VMs boot on their hosts and take their"
          + " first checkpoints; membership is final from then on", List.of(new Param("id", "uuid", true, "the group"))),
      new Api("migrateVirtualMachine", true, "Moves a protected VM to another host while its group runs", List.of(
          new Param("virtualmachineid", "uuid", true, "the VM"), new Param("hostid", "uuid", true, "the target host"))),
      new Api("recoverProtectionGroup", true, "Recovers a protection group now", List.of(
          new Param("id", "uuid", true, "the group"))),
      new Api("listRecoveryEvents", false, "Lists a group's recoveries, newest first",
          List.of(GROUP_ID, PAGE, PAGE_SIZE)),
      new Api("listHosts", false, "Lists the agents and their leases", List.of(
          new Param("id", "uuid", false, "only this host"),
          new Param("type", "string", false, "Routing (every agent) or another CloudStack host type (none)"), PAGE,
          PAGE_SIZE)),
      new Api("queryAsyncJobResult", false, "Queries an async job's state and result", List.of(
          new Param("jobid", "uuid", true, "the job"))),
      new Api("listApis", false, "Lists the API commands", List.of()));

  private ApiCatalog() {}

  static void register(Map<String, Command> table) {
    table.put("listapis", p -> Json.list("api", APIS.stream().map(ApiCatalog::json).toList(), APIS.size()));
  }

  private static JsonObject json(Api api) {
    JsonObject o = new JsonObject();
    o.addProperty("name", api.name());
    o.addProperty("description", api.description());
    o.addProperty("isasync", api.async());
    o.addProperty("related", "");
    JsonArray params = new JsonArray();
    for (Param p : api.params()) {
      JsonObject param = new JsonObject();
      param.addProperty("name", p.name());
      param.addProperty("type", p.type());
      param.addProperty("required", p.required());
      param.addProperty("description", p.description());
      params.add(param);
    }
    o.add("params", params);
    o.add("response", new JsonArray());
    return o;
  }
}
