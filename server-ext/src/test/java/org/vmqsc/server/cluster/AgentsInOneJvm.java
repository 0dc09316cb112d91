package org.vmqsc.server.cluster;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.vmqsc.agent.process.AgentProcess;
import org.vmqsc.agent.wire.WireMessages.GuestProfile;
import org.vmqsc.db.TestDatabases;
import org.vmqsc.server.api.ApiClient;
import org.vmqsc.server.api.ApiKeys;
import org.vmqsc.server.standalone.ManagerServer;

/**
 * A manager on a fresh database and three agents (h1, h2, h3) in one JVM, talking HTTP and UDP on loopback as
 * separate processes would: what the in-JVM cluster tests of this module and of the simulator start. Leases of
 * 1.5 s, heartbeats every 300 ms, simulated guests; every process writes its event file under {@code events/}.
 */
public final class AgentsInOneJvm implements AutoCloseable {

  public final Path dir;
  public final List<AgentProcess> agents = new ArrayList<>();
  public final ApiClient api;
  public final ClusterProbe probe;
  private ManagerServer manager;

  private AgentsInOneJvm(Path dir, ManagerServer manager, ApiClient api) {
    this.dir = dir;
    this.manager = manager;
    this.api = api;
    this.probe = new ClusterProbe(api);
  }

  /** Skips the test (an assumption) where MariaDB cannot run. */
  public static AgentsInOneJvm start(String name) throws Exception {
    String url = TestDatabases.freshDatabase(name);
    Path dir = Files.createTempDirectory("vmqsc-" + name);
    StandaloneCluster.Settings settings = new StandaloneCluster.Settings(Duration.ofMillis(1500),
        Duration.ofMillis(300), new GuestProfile(4, 1, 50, 7));
    ManagerServer manager = ManagerServer.start(new ManagerServer.Config(dir.resolve("manager"), url,
        TestDatabases.user(), TestDatabases.password(), 0, settings, dir.resolve("events/manager.jsonl")));
    ApiKeys keys = ApiKeys.loadFrom(dir.resolve("manager"));
    AgentsInOneJvm cluster = new AgentsInOneJvm(dir, manager, new ApiClient(manager.endpoint(), keys));
    URI base = URI.create(manager.endpoint().resolve("/").toString());
    for (String host : List.of("h1", "h2", "h3")) {
      cluster.agents.add(AgentProcess.start(new AgentProcess.Config(host, base, keys.agentToken(), dir.resolve(host),
          dir.resolve("stable"), dir.resolve("events/" + host + ".jsonl"))));
    }
    return cluster;
  }

  /** Where the manager answers, API and agents alike. */
  public URI managerEndpoint() {
    return manager.endpoint();
  }

  /** The token agents present to the manager, and the manager to agents. */
  public String agentToken() throws Exception {
    return ApiKeys.loadFrom(dir.resolve("manager")).agentToken();
  }

  /** Stops the agents (those a test closed already too) and the manager; their files stay until {@link #close}. */
  public void stopProcesses() throws Exception {
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

  @Override public void close() throws Exception {
    stopProcesses();
    TestDatabases.deleteTree(dir);
  }
}
