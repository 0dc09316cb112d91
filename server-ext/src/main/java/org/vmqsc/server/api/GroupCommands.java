package org.vmqsc.server.api;

import com.google.gson.JsonObject;
import java.util.Map;
import org.vmqsc.protocol.EarlyIndexPolicy;
import org.vmqsc.server.service.ProtectionService;
import org.vmqsc.server.service.RecoveryPolicy;
import org.vmqsc.server.service.Views.GroupView;

/** create/list/update/deleteProtectionGroup. */
final class GroupCommands {

  /** A T0 longer than a week protects nothing worth the name; refusing it catches a unit mistake (s for ms). */
  static final long MAX_BASE_PERIOD_MS = 7L * 24 * 3600 * 1000;

  private final ProtectionService service;
  private final Cluster cluster;

  GroupCommands(ProtectionService service, Cluster cluster) {
    this.service = service;
    this.cluster = cluster;
  }

  void register(Map<String, Command> table) {
    table.put("createprotectiongroup", this::create);
    table.put("listprotectiongroups", this::list);
    table.put("updateprotectiongroup", this::update);
    table.put("deleteprotectiongroup", this::delete);
  }

  private JsonObject create(Params p) {
    String name = p.required("name");
    long basePeriod = p.requiredLong("baseperiod", 1, MAX_BASE_PERIOD_MS);
    RecoveryPolicy policy = p.optionalEnum("recoverypolicy", RecoveryPolicy.class).orElse(null);
    EarlyIndexPolicy earlyIndex = p.optionalEnum("earlyindexpolicy", EarlyIndexPolicy.class).orElse(null);
    return Json.single("protectiongroup", json(service.createGroup(name, basePeriod, policy, earlyIndex)));
  }

  private JsonObject list(Params p) {
    var page = p.page();
    var id = p.optional("id");
    if (id.isPresent()) {
      GroupView g = service.group(id.get());
      return Json.list("protectiongroup", page.offset() == 0 ? java.util.List.of(json(g)) : java.util.List.of(), 1);
    }
    return Json.list("protectiongroup", service.listGroups(page), this::json);
  }

  private JsonObject update(Params p) {
    String id = p.required("id");
    String name = p.optional("name").orElse(null);
    Long basePeriod = p.optionalLong("baseperiod", 1, MAX_BASE_PERIOD_MS).orElse(null);
    RecoveryPolicy policy = p.optionalEnum("recoverypolicy", RecoveryPolicy.class).orElse(null);
    return Json.single("protectiongroup", json(service.updateGroup(id, name, basePeriod, policy)));
  }

  private JsonObject delete(Params p) {
    cluster.delete(p.required("id"));
    return Json.success();
  }

  JsonObject json(GroupView g) {
    return Json.group(g, service.members(g.uuid()));
  }
}
