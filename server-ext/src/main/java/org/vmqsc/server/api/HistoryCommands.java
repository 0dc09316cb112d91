package org.vmqsc.server.api;

import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.vmqsc.server.service.Page;
import org.vmqsc.server.service.PageRequest;
import org.vmqsc.server.service.ProtectionService;
import org.vmqsc.server.service.ServiceException;
import org.vmqsc.server.service.Views.CheckpointView;

/** What a group has recorded: listVmCheckpoints, listLogSegments, listRecoveryLines, listRecoveryEvents. */
final class HistoryCommands {

  private final ProtectionService service;

  HistoryCommands(ProtectionService service) {
    this.service = service;
  }

  void register(Map<String, Command> table) {
    table.put("listvmcheckpoints", this::checkpoints);
    table.put("listlogsegments", p -> Json.list("logsegment", service.listLogSegments(
        p.required("protectiongroupid"), p.optionalBoolean("includeremoved").orElse(false), p.page()),
        Json::logSegment));
    table.put("listrecoverylines", p -> Json.list("recoveryline",
        service.listLines(p.required("protectiongroupid"), p.page()), Json::line));
    table.put("listrecoveryevents", p -> Json.list("recoveryevent",
        service.listRecoveryEvents(p.required("protectiongroupid"), p.page()), Json::recoveryEvent));
  }

  private JsonObject checkpoints(Params p) {
    String group = p.required("protectiongroupid");
    boolean includeRemoved = p.optionalBoolean("includeremoved").orElse(false);
    PageRequest page = p.page();
    Optional<String> vm = p.optional("virtualmachineid");
    if (vm.isEmpty()) return Json.list("vmcheckpoint", service.listCheckpoints(group, includeRemoved, page),
        Json::checkpoint);
    if (service.members(group).stream().noneMatch(m -> m.vmUuid().equals(vm.get()))) {
      throw new ServiceException(ServiceException.Reason.UNKNOWN_VM, "VM " + vm.get() + " is not in group " + group);
    }
    // The service pages by group only: filter the group's checkpoints, then page the VM's.
    List<CheckpointView> ofVm = new ArrayList<>();
    PageRequest chunk = PageRequest.first(PageRequest.MAX_LIMIT);
    while (true) {
      Page<CheckpointView> got = service.listCheckpoints(group, includeRemoved, chunk);
      got.items().stream().filter(c -> c.vmUuid().equals(vm.get())).forEach(ofVm::add);
      if (!got.hasMore() || got.items().isEmpty()) break;
      chunk = new PageRequest(chunk.offset() + got.items().size(), chunk.limit());
    }
    int from = Math.min(page.offset(), ofVm.size());
    int to = Math.min(from + page.limit(), ofVm.size());
    return Json.list("vmcheckpoint", ofVm.subList(from, to).stream().map(Json::checkpoint).toList(), ofVm.size());
  }
}
