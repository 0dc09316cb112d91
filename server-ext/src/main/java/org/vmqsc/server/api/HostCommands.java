package org.vmqsc.server.api;

import com.google.gson.JsonObject;
import java.util.List;
import java.util.Map;

/** listHosts: the agents and their leases. */
final class HostCommands {

  static final String ROUTING = "Routing";

  private final HostDirectory hosts;

  HostCommands(HostDirectory hosts) {
    this.hosts = hosts;
  }

  void register(Map<String, Command> table) {
    table.put("listhosts", this::list);
  }

  private JsonObject list(Params p) {
    var page = p.page();
    List<HostDirectory.Host> all = hosts.hosts();
    // CloudStack lists system VMs as hosts too; every agent here is what it calls a Routing host.
    var type = p.optional("type");
    if (type.isPresent() && !type.get().equalsIgnoreCase(ROUTING)) all = List.of();
    var id = p.optional("id");
    if (id.isPresent()) {
      all = all.stream().filter(h -> h.uuid().equals(id.get())).toList();
      if (all.isEmpty()) throw ApiException.badParameter("Unable to execute API command listhosts due to invalid"
          + " value " + id.get() + " for parameter id: no such host");
    }
    int from = Math.min(page.offset(), all.size());
    int to = Math.min(from + page.limit(), all.size());
    java.time.Duration lease = hosts.lease();
    return Json.list("host", all.subList(from, to).stream().map(h -> Json.host(h, lease)).toList(), all.size());
  }
}
