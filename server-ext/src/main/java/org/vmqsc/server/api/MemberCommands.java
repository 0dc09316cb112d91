package org.vmqsc.server.api;

import com.google.gson.JsonObject;
import java.util.List;
import java.util.Map;
import org.vmqsc.server.service.ProtectionService;
import org.vmqsc.server.service.advice.TrafficAdvisor;

/**
 * add/removeVmFromProtectionGroup, updateVmInProtectionGroup (a VM's class, before the group starts): each answers
 * with the group as it now is, its VMs included; listVmClassAdvice, the class proposed for each VM from its traffic.
 */
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
    table.put("updatevminprotectiongroup", this::update);
    table.put("listvmclassadvice", this::advice);
  }

  private JsonObject add(Params p) {
    String group = p.required("id");
    String vm = p.required("virtualmachineid");
    String vmClass = p.optional("vmclass").orElse("SI");
    String host = p.optional("hostid").orElse(null);
    service.addVm(group, vm, vmClass, host);
    return Json.single("protectiongroup", groups.json(service.group(group)));
  }

  private JsonObject update(Params p) {
    String group = p.required("id");
    String vm = p.required("virtualmachineid");
    String vmClass = p.required("vmclass");
    service.changeVmClass(group, vm, vmClass);
    return Json.single("protectiongroup", groups.json(service.group(group)));
  }

  private JsonObject advice(Params p) {
    String group = p.required("protectiongroupid");
    int maxK = p.optionalLong("maxk", 2, TrafficAdvisor.MAX_MAX_K).orElse((long) TrafficAdvisor.DEFAULT_MAX_K)
        .intValue();
    List<JsonObject> all = TrafficAdvisor.advise(service, group, maxK).stream().map(Json::vmClassAdvice).toList();
    return Json.list("vmclassadvice", all, all.size());
  }

  private JsonObject remove(Params p) {
    String group = p.required("id");
    String vm = p.required("virtualmachineid");
    service.removeVm(group, vm);
    return Json.single("protectiongroup", groups.json(service.group(group)));
  }
}
