package org.vmqsc.server.api;

import com.google.gson.JsonObject;
import java.util.Map;
import org.vmqsc.server.service.ProtectionService;

/**
 * The commands that act on the hosts, as async jobs (enableProtectionGroup, recoverProtectionGroup,
 * migrateVirtualMachine), and queryAsyncJobResult.
 */
final class ClusterCommands {

  private final ProtectionService service;
  private final AsyncJobs jobs;
  private final Cluster cluster;
  private final GroupCommands groups;

  ClusterCommands(ProtectionService service, AsyncJobs jobs, Cluster cluster, GroupCommands groups) {
    this.service = service;
    this.jobs = jobs;
    this.cluster = cluster;
    this.groups = groups;
  }

  void register(Map<String, Command> table) {
    table.put("enableprotectiongroup", this::enable);
    table.put("migratevirtualmachine", this::migrate);
    table.put("recoverprotectiongroup", this::recover);
    table.put("queryasyncjobresult", this::query);
  }

  private JsonObject enable(Params p) {
    String group = p.required("id");
    service.group(group); // an unknown group is a 431 now
    String jobId = jobs.submit(p.command(), () -> Json.single("protectiongroup", groups.json(cluster.enable(group))));
    JsonObject o = new JsonObject();
    o.addProperty("jobid", jobId);
    return o;
  }

  /** CloudStack's own command name and parameters, for a VM of a protection group. */
  private JsonObject migrate(Params p) {
    String vm = p.required("virtualmachineid");
    String host = p.required("hostid");
    if (service.groupOfVm(vm).isEmpty()) {
      throw ApiException.badParameter("Unable to execute API command migratevirtualmachine due to invalid value " + vm
          + " for parameter virtualmachineid: the VM is in no protection group");
    }
    String jobId = jobs.submit(p.command(), () -> Json.single("virtualmachine", Json.member(cluster.migrate(vm, host))));
    JsonObject o = new JsonObject();
    o.addProperty("jobid", jobId);
    return o;
  }

  private JsonObject recover(Params p) {
    String group = p.required("id");
    service.group(group); // an unknown group is a 431 now, as CloudStack checks ids before queuing a job
    String jobId = jobs.submit(p.command(), () -> cluster.recover(group)
        .map(event -> Json.single("recoveryevent", Json.recoveryEvent(event)))
        .orElseGet(() -> {
          JsonObject nothing = Json.success();
          nothing.addProperty("displaytext", "no recovery started: every VM of the group runs, or another manager"
              + " already recovers it");
          return nothing;
        }));
    JsonObject o = new JsonObject();
    o.addProperty("jobid", jobId);
    return o;
  }

  private JsonObject query(Params p) {
    String id = p.required("jobid");
    AsyncJobs.Job job = jobs.find(id).orElseThrow(() -> ApiException.badParameter(
        "Unable to execute API command queryasyncjobresult due to invalid value " + id + " for parameter jobid:"
            + " no such job"));
    JsonObject o = new JsonObject();
    o.addProperty("jobid", job.id());
    o.addProperty("cmd", job.command());
    o.addProperty("jobstatus", job.status());
    o.addProperty("jobprocstatus", 0);
    o.addProperty("jobresultcode", job.resultCode());
    o.addProperty("jobresulttype", "object");
    o.addProperty("created", Json.DATE.format(job.created()));
    if (job.result() != null) o.add("jobresult", job.result());
    return o;
  }
}
