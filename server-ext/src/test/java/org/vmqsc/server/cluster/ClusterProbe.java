package org.vmqsc.server.cluster;

import com.google.gson.JsonObject;
import java.util.List;
import org.vmqsc.agent.process.AgentProcess;
import org.vmqsc.server.api.ApiClient;

/**
 * A running group and its agents as the manager's API lists them, for the tests that run a manager and agents in one
 * JVM (this module's and the simulator's event-log test, through this module's test jar).
 */
public final class ClusterProbe {

  /** A condition a test waits for. */
  public interface Check {
    boolean holds() throws Exception;
  }

  private final ApiClient api;

  public ClusterProbe(ApiClient api) {
    this.api = api;
  }

  /** Waits up to 60 s for {@code check}, failing with {@code what}. */
  public static void await(Check check, String what) throws Exception {
    for (int i = 0; i < 600; i++) {
      if (check.holds()) return;
      Thread.sleep(100);
    }
    throw new AssertionError("not within 60 s: " + what);
  }

  /** Agents whose lease is active. */
  public int activeHosts() throws Exception {
    JsonObject r = api.get("listHosts").response("listHosts");
    if (!r.has("host")) return 0;
    int n = 0;
    for (var h : r.getAsJsonArray("host")) if (h.getAsJsonObject().get("leasestate").getAsString().equals("ACTIVE")) n++;
    return n;
  }

  public JsonObject group(String group) throws Exception {
    return api.get("listProtectionGroups", "id", group).response("listProtectionGroups")
        .getAsJsonArray("protectiongroup").get(0).getAsJsonObject();
  }

  /** The group's recovery line, -1 before its first. */
  public long line(String group) throws Exception {
    JsonObject g = group(group);
    return g.has("lineindex") ? g.get("lineindex").getAsLong() : -1;
  }

  /** The group's recoveries that ended. */
  public int recoveries(String group) throws Exception {
    JsonObject r = api.get("listRecoveryEvents", "protectiongroupid", group).response("listRecoveryEvents");
    if (!r.has("recoveryevent")) return 0;
    int done = 0;
    for (var e : r.getAsJsonArray("recoveryevent")) if (!e.getAsJsonObject().get("state").getAsString().equals("RUNNING")) done++;
    return done;
  }

  /** The agent that runs VM {@code vmId} of the group, or null. */
  public AgentProcess hostOf(String group, String vmId, List<AgentProcess> agents) throws Exception {
    for (var v : group(group).getAsJsonArray("vm")) {
      if (v.getAsJsonObject().get("virtualmachineid").getAsString().equals(vmId)) {
        String host = v.getAsJsonObject().get("hostid").getAsString();
        for (AgentProcess a : agents) if (a.hostUuid().equals(host)) return a;
      }
    }
    return null;
  }
}
