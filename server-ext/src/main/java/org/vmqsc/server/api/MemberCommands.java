package org.vmqsc.server.api;

import com.google.gson.JsonObject;
import java.util.Map;
import org.vmqsc.server.service.ProtectionService;

/** add/removeVmToProtectionGroup: both answer with the group as it now is, its VMs included. */
final class MemberCommands {

  private final ProtectionService service;
  private final GroupCommands groups;

  MemberCommands(ProtectionService service, GroupCommands groups) {
    this.service = service;
    this.groups = groups;
  }

  void register(Map<String, Command> table) {
    table.put("addvmtoprotectiongroup", this::add);
    table.put("removevmfromprotectiongroup", this::remove);
  }

  private JsonObject add(Params p) {
    String group = p.required("id");
    String vm = p.required("virtualmachineid");
    String vmClass = p.optional("vmclass").orElse("SI");
    String host = p.optional("hostid").orElse(null);
    service.addVm(group, vm, vmClass, host);
    return Json.single("protectiongroup", groups.json(service.group(group)));
  }

  private JsonObject remove(Params p) {
    String group = p.required("id");
    String vm = p.required("virtualmachineid");
    service.removeVm(group, vm);
    return Json.single("protectiongroup", groups.json(service.group(group)));
  }
}
