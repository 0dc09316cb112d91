package org.vmqsc.server.cluster;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.vmqsc.server.cluster.ClusterProbe.await;

import com.google.gson.JsonObject;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.After;
import org.junit.Before;
import org.vmqsc.agent.process.AgentProcess;
import org.vmqsc.agent.wire.WireMessages.GuestProfile;
import org.vmqsc.db.TestDatabases;
import org.vmqsc.server.api.ApiClient;
import org.vmqsc.server.api.ApiKeys;
import org.vmqsc.server.standalone.ManagerServer;

/**
 * Tests that run a manager on a fresh database and three agents (h1, h2, h3) in one JVM, talking HTTP and UDP on
 * loopback as separate processes would: this module's and the simulator's. Leases of 1.5 s, heartbeats every 300 ms,
 * simulated guests; every process writes its event file under {@code events/}. Skips where MariaDB cannot run.
 */
public abstract class AgentsInOneJvm {

  private final String name;
  protected Path dir;
  protected final List<AgentProcess> agents = new ArrayList<>();
  protected ApiClient api;
  protected ClusterProbe probe;
  private ManagerServer manager;

  /** @param name names the test's database and folder */
  protected AgentsInOneJvm(String name) {
    this.name = name;
  }

  @Before public final void startCluster() throws Exception {
    String url = TestDatabases.freshDatabase(name);
    dir = Files.createTempDirectory("vmqsc-" + name);
    StandaloneCluster.Settings settings = new StandaloneCluster.Settings(Duration.ofMillis(1500),
        Duration.ofMillis(300), new GuestProfile(4, 1, 50, 7), 0, storageGrace());
    manager = ManagerServer.start(new ManagerServer.Config(dir.resolve("manager"), url, TestDatabases.user(),
        TestDatabases.password(), 0, settings, dir.resolve("events/manager.jsonl")));
    ApiKeys keys = ApiKeys.loadFrom(dir.resolve("manager"));
    api = new ApiClient(manager.endpoint(), keys);
    probe = new ClusterProbe(api);
    URI base = URI.create(manager.endpoint().resolve("/").toString());
    for (String host : List.of("h1", "h2", "h3")) {
      agents.add(AgentProcess.start(new AgentProcess.Config(host, base, keys.agentToken(), dir.resolve(host),
          dir.resolve("stable"), dir.resolve("events/" + host + ".jsonl"))));
    }
  }

  @After public final void closeCluster() throws Exception {
    stopProcesses();
    if (dir != null) TestDatabases.deleteTree(dir);
  }

  /** How old a left-over stored thing must be before the hosts delete it; reconciled once per this. */
  protected Duration storageGrace() {
    return StandaloneCluster.Settings.defaultGrace(Duration.ofMillis(1500));
  }

  /** Stops the agents (those a test closed already too) and the manager; their files stay until the test ends. */
  protected void stopProcesses() throws Exception {
    for (AgentProcess a : agents) {
      try {
        a.close();
      } catch (Exception ignored) {
        // closed by the test
      }
    }
    agents.clear();
    if (manager != null) manager.close();
    manager = null;
  }

  /** Where the manager answers, API and agents alike. */
  protected URI managerEndpoint() {
    return manager.endpoint();
  }

  /** The token agents present to the manager, and the manager to agents. */
  protected String agentToken() throws Exception {
    return ApiKeys.loadFrom(dir.resolve("manager")).agentToken();
  }

  /** A protection group with a base period of 500 ms; its id. */
  protected String createGroup(String groupName) throws Exception {
    return api.get("createProtectionGroup", "name", groupName, "baseperiod", "500").response("createProtectionGroup")
        .getAsJsonObject("protectiongroup").get("id").getAsString();
  }

  /** VMs vm-0, vm-1, ... of the given classes. */
  protected void addVms(String group, String... classes) throws Exception {
    for (int i = 0; i < classes.length; i++) {
      assertTrue(api.get("addVmToProtectionGroup", "id", group, "virtualmachineid", "vm-" + i,
          "vmclass", classes[i]).ok());
    }
  }

  /** Enables the group and waits up to 30 s for its job: the job's result, succeeded or not. */
  protected JsonObject enable(String group) throws Exception {
    String job = api.get("enableProtectionGroup", "id", group).response("enableProtectionGroup").get("jobid")
        .getAsString();
    return api.awaitJob(job, Duration.ofSeconds(30));
  }

  /** Waits for the group's first recovery to end; it must have succeeded. Its event. */
  protected JsonObject awaitRecovery(String group) throws Exception {
    await(() -> probe.recoveries(group) >= 1, "the manager recovers the stopped agent's VMs");
    JsonObject event = api.get("listRecoveryEvents", "protectiongroupid", group).response("listRecoveryEvents")
        .getAsJsonArray("recoveryevent").get(0).getAsJsonObject();
    assertEquals(event.toString(), "SUCCEEDED", event.get("state").getAsString());
    return event;
  }

  /** No VM of the group is on {@code host} any more. */
  protected void assertNoVmOn(String group, String host) throws Exception {
    for (var member : probe.group(group).getAsJsonArray("vm")) {
      assertTrue("no VM stays on the failed host", !member.getAsJsonObject().get("hostid").getAsString().equals(host));
    }
  }
}
