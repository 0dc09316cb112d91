package org.vmqsc.lab;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.vmqsc.lab.cluster.Groups;
import org.vmqsc.lab.cluster.LocalCluster;
import org.vmqsc.server.api.ApiClient;
import org.vmqsc.server.api.ApiKeys;
import org.vmqsc.sim.events.MergedEventLog;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ./vmqsc cluster}: a standalone cluster on this machine that outlives the command. {@code up} starts a
 * manager and its agents as background processes in a folder; the other sub-commands find them again through the
 * folder's {@code cluster.json}: look at them, kill or restart an agent, create a group, stop everything.
 */
@Command(name = "cluster", mixinStandardHelpOptions = true,
    description = "A standalone cluster on this machine (a manager and agents as background processes):"
        + " up, status, kill-host, restart-host, group create, down.",
    subcommands = {
        ClusterCommand.Up.class,
        ClusterCommand.Status.class,
        ClusterCommand.KillHost.class,
        ClusterCommand.RestartHost.class,
        ClusterCommand.GroupCommand.class,
        ClusterCommand.Down.class,
    })
public final class ClusterCommand implements Runnable {

  @Override public void run() {
    new CommandLine(this).usage(System.out);
  }

  /** --dir, shared by every sub-command. */
  static final class Folder {
    @Option(names = "--dir", description = "the cluster's folder (default: ${DEFAULT-VALUE})")
    Path dir = Path.of("vmqsc-cluster");

    LocalCluster attach() throws IOException {
      if (Files.exists(dir) && !Files.isDirectory(dir)) {
        throw new IllegalArgumentException("--dir names a file, not a folder: " + dir);
      }
      return LocalCluster.attach(dir);
    }

    /** The cluster, with a manager that runs (what every command that talks to the API needs). */
    LocalCluster running() throws IOException {
      LocalCluster c = attach();
      if (c.manager() == null || !LocalCluster.alive(c.manager())) {
        throw new IllegalArgumentException("the manager of the cluster in " + dir + " does not run: ./vmqsc cluster"
            + " up --dir " + dir + " starts a new cluster");
      }
      return c;
    }
  }

  // ---- up -------------------------------------------------------------------------------------------------------

  @Command(name = "up", mixinStandardHelpOptions = true,
      description = "Start a manager and its agents in the background; print the API endpoint and keys.")
  static final class Up implements Callable<Integer> {
    @Mixin Folder folder = new Folder();

    @Option(names = "--agents", description = "agent processes, 1..16 (default: ${DEFAULT-VALUE})")
    int agents = 3;

    @Option(names = "--lease-ms", description = "a host's lease (default: ${DEFAULT-VALUE})")
    long leaseMs = 3000;

    @Option(names = "--heartbeat-ms", description = "how often agents heartbeat (default: ${DEFAULT-VALUE})")
    long heartbeatMs = 1000;

    @Option(names = "--memory-mib", description = "memory of each simulated guest, 1..4096 MiB (default:"
        + " ${DEFAULT-VALUE})")
    int memoryMib = 16;

    @Override public Integer call() throws Exception {
      checkSettings(agents, 1, leaseMs, heartbeatMs, memoryMib);
      VmqscCommand.checkOutputFolder("--dir", folder.dir);
      LocalCluster c = LocalCluster.start(folder.dir, new LocalCluster.Settings(agents, leaseMs, heartbeatMs, 4,
          memoryMib), line -> System.out.println("  " + line));
      ApiKeys keys = c.keys();
      ApiClient api = c.api();
      String url = c.manager().url();
      System.out.println("cluster up in " + c.dir() + ": manager pid " + c.manager().pid() + ", agents "
          + names(c));
      System.out.println("API endpoint: " + url);
      System.out.println("keys: " + c.dir().resolve("manager").resolve(ApiKeys.FILE_NAME));
      System.out.println("CloudMonkey:");
      System.out.println("  cmk set url " + url + "; cmk set apikey " + keys.apiKey() + "; cmk set secretkey "
          + keys.secretKey() + "; cmk sync");
      System.out.println("a signed call (listHosts):");
      System.out.println("  curl -s '" + url + "?" + api.signedQuery("listHosts", Map.of()) + "'");
      System.out.println("next: ./vmqsc cluster group create --dir " + folder.dir + " --vms 8; ./vmqsc cluster status"
          + " --dir " + folder.dir + "; ./vmqsc cluster kill-host h1 --dir " + folder.dir);
      return 0;
    }
  }

  /** The bounds every command that starts a cluster checks before it writes anything. */
  static void checkSettings(int agents, int minAgents, long leaseMs, long heartbeatMs, int memoryMib) {
    if (agents < minAgents || agents > 16) {
      throw new IllegalArgumentException("--agents must be " + minAgents + "..16, got " + agents);
    }
    if (leaseMs < 200 || leaseMs > 600_000) {
      throw new IllegalArgumentException("--lease-ms must be 200..600000, got " + leaseMs);
    }
    if (heartbeatMs < 20 || heartbeatMs >= leaseMs) {
      throw new IllegalArgumentException("--heartbeat-ms must be >= 20 and below --lease-ms (" + leaseMs + "), got "
          + heartbeatMs);
    }
    if (memoryMib < 1 || memoryMib > 4096) {
      throw new IllegalArgumentException("--memory-mib must be 1..4096, got " + memoryMib);
    }
  }

  // ---- status ---------------------------------------------------------------------------------------------------

  @Command(name = "status", mixinStandardHelpOptions = true,
      description = "The processes, the hosts' leases, and each group's line, placement and newest recovery.")
  static final class Status implements Callable<Integer> {
    @Mixin Folder folder = new Folder();

    @Override public Integer call() throws Exception {
      LocalCluster c = folder.attach();
      System.out.println("cluster in " + c.dir());
      LocalCluster.Node m = c.manager();
      System.out.println("  " + process(m) + (m != null ? "  " + m.url() : ""));
      for (LocalCluster.Node a : new TreeMap<>(c.agents()).values()) {
        System.out.println("  " + process(a) + "  host " + a.hostUuid());
      }
      if (m == null || !LocalCluster.alive(m)) {
        System.out.println("the manager does not run: no hosts or groups to show");
        return 0;
      }
      ApiClient api = c.api();
      StringBuilder hosts = new StringBuilder("hosts (listHosts):");
      Groups.leases(api).forEach((name, state) -> hosts.append(' ').append(name).append('=').append(state));
      System.out.println(hosts);
      List<String> groups = Groups.groupIds(api);
      if (groups.isEmpty()) System.out.println("no protection group yet: ./vmqsc cluster group create --dir " + folder.dir);
      for (String id : groups) {
        JsonObject g = Groups.group(api, id);
        System.out.println("group " + g.get("name").getAsString() + " (" + id + "): " + g.get("state").getAsString()
            + ", " + g.get("vmcount").getAsInt() + " VMs, T0 " + g.get("baseperiod").getAsLong() + " ms, line "
            + (g.has("lineindex") ? g.get("lineindex").getAsLong() : "-"));
        System.out.println("  VMs per host: " + Groups.placement(api, id, c));
        JsonArray recoveries = Groups.recoveries(api, id);
        if (recoveries.isEmpty()) {
          System.out.println("  no recovery yet");
        } else {
          JsonObject r = recoveries.get(0).getAsJsonObject();
          System.out.println("  newest of " + recoveries.size() + " recoveries: " + r.get("state").getAsString()
              + ", " + r.get("failurekind").getAsString() + " failure, line " + (r.has("lineindex")
              ? r.get("lineindex").getAsLong() : "-") + ", " + r.getAsJsonArray("rolledback").size()
              + " VMs rolled back, " + r.get("replayedmessages").getAsLong() + " messages replayed"
              + (r.has("duration") ? ", " + r.get("duration").getAsLong() + " ms" : "")
              + (r.has("finished") ? ", finished " + r.get("finished").getAsString() : ""));
        }
      }
      return 0;
    }

    private static String process(LocalCluster.Node n) {
      if (n == null) return "manager: never started";
      boolean alive = LocalCluster.alive(n);
      return String.format("%-8s %s", n.name() + ":", alive ? "running, pid " + n.pid() : "not running"
          + (n.pid() > 0 ? " (was pid " + n.pid() + ")" : ""));
    }
  }

  // ---- kill-host, restart-host ----------------------------------------------------------------------------------

  @Command(name = "kill-host", mixinStandardHelpOptions = true,
      description = "SIGKILL an agent, then follow the recovery of the groups it ran VMs of.")
  static final class KillHost implements Callable<Integer> {
    @Mixin Folder folder = new Folder();

    @Parameters(paramLabel = "NAME", description = "the agent, e.g. h1")
    String name;

    @Option(names = "--no-wait", description = "return once the agent is killed")
    boolean noWait;

    @Option(names = "--timeout-s", description = "how long to wait for each recovery (default: ${DEFAULT-VALUE})")
    int timeoutS = 90;

    @Override public Integer call() throws Exception {
      if (timeoutS < 1 || timeoutS > 3600) throw new IllegalArgumentException("--timeout-s must be 1..3600, got " + timeoutS);
      LocalCluster c = folder.running();
      LocalCluster.Node victim = c.agent(name);
      if (!LocalCluster.alive(victim)) throw new IllegalArgumentException("agent " + name + " does not run");
      ApiClient api = c.api();
      // Counted before the kill: a recovery that ends before we look for it is still seen.
      Map<String, Integer> before = new LinkedHashMap<>();
      Map<String, List<Integer>> vms = new LinkedHashMap<>();
      for (String g : Groups.groupIds(api)) {
        List<Integer> on = Groups.vmsOn(api, g, victim.hostUuid());
        if (on.isEmpty()) continue;
        vms.put(g, on);
        before.put(g, Groups.recoveries(api, g).size());
      }
      c.killAgent(name);
      System.out.println("SIGKILL agent " + name + " (pid " + victim.pid() + ")"
          + (vms.isEmpty() ? ": it ran no protected VM" : ": it ran VMs " + vms.values() + " of " + vms.size()
          + " group(s)"));
      if (noWait || vms.isEmpty()) return 0;
      boolean allSucceeded = true;
      for (String g : vms.keySet()) {
        System.out.println("group " + g + ":");
        JsonObject r = Groups.awaitRecovery(api, g, before.get(g), Duration.ofSeconds(timeoutS), System.out::println);
        allSucceeded &= "SUCCEEDED".equals(r.get("state").getAsString());
      }
      System.out.println("./vmqsc cluster restart-host " + name + " --dir " + folder.dir + " starts it again");
      return allSucceeded ? 0 : 1;
    }
  }

  @Command(name = "restart-host", mixinStandardHelpOptions = true,
      description = "Start a killed agent again (same home, so the same host uuid) and wait for its lease.")
  static final class RestartHost implements Callable<Integer> {
    @Mixin Folder folder = new Folder();

    @Parameters(paramLabel = "NAME", description = "the agent, e.g. h1")
    String name;

    @Override public Integer call() throws Exception {
      LocalCluster c = folder.running();
      c.restartAgent(name, line -> System.out.println("  " + line));
      Groups.awaitLease(c.api(), name, Duration.ofSeconds(30));
      System.out.println("agent " + name + " runs again (pid " + c.agent(name).pid() + ") and holds its lease");
      return 0;
    }
  }

  // ---- group create ---------------------------------------------------------------------------------------------

  @Command(name = "group", mixinStandardHelpOptions = true, description = "Protection groups through the API.",
      subcommands = GroupCommand.Create.class)
  static final class GroupCommand implements Runnable {
    @Override public void run() {
      new CommandLine(this).usage(System.out);
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
        description = "Create a group of VMs (SI and MI_2 alternating) and enable it: the agents boot its VMs.")
    static final class Create implements Callable<Integer> {
      @Mixin Folder folder = new Folder();

      @Option(names = "--vms", description = "VMs in the group, 1..64 (default: ${DEFAULT-VALUE})")
      int vms = 8;

      @Option(names = "--name", description = "the group's name (default: g<n>)")
      String name;

      @Option(names = "--t0-ms", description = "the base period T0 (default: ${DEFAULT-VALUE})")
      long t0Ms = 2000;

      @Override public Integer call() throws Exception {
        if (vms < 1 || vms > 64) throw new IllegalArgumentException("--vms must be 1..64, got " + vms);
        if (t0Ms < 100 || t0Ms > 3_600_000) throw new IllegalArgumentException("--t0-ms must be 100..3600000, got " + t0Ms);
        LocalCluster c = folder.running();
        ApiClient api = c.api();
        String groupName = name != null ? name : "g" + (Groups.groupIds(api).size() + 1);
        String id = Groups.create(api, groupName, t0Ms, vms);
        Groups.enable(api, id);
        System.out.println("group " + groupName + " (" + id + "): " + vms + " VMs enabled; VMs per host "
            + Groups.placement(api, id, c));
        return 0;
      }
    }
  }

  // ---- down -----------------------------------------------------------------------------------------------------

  @Command(name = "down", mixinStandardHelpOptions = true,
      description = "Stop every process (SIGTERM, SIGKILL after --grace-s) and merge their event files.")
  static final class Down implements Callable<Integer> {
    @Mixin Folder folder = new Folder();

    @Option(names = "--grace-s", description = "seconds between SIGTERM and SIGKILL (default: ${DEFAULT-VALUE})")
    int graceS = 10;

    @Override public Integer call() throws Exception {
      if (graceS < 0 || graceS > 600) throw new IllegalArgumentException("--grace-s must be 0..600, got " + graceS);
      LocalCluster c = folder.attach();
      boolean any = c.anyAlive();
      c.down(Duration.ofSeconds(graceS));
      System.out.println(any ? "every process of the cluster in " + c.dir() + " stopped"
          : "no process of the cluster in " + c.dir() + " was running");
      Path merged = c.dir().resolve("events.jsonl");
      try (Writer w = Files.newBufferedWriter(merged, StandardCharsets.UTF_8)) {
        MergedEventLog.Summary s = MergedEventLog.write(c.eventFiles(), w);
        System.out.println("events: " + c.dir().resolve("events") + " (" + c.eventFiles().size() + " files), merged: "
            + merged + " (" + s.events() + " events); check them with ./vmqsc check-events " + merged);
      }
      System.out.println("logs: " + c.dir().resolve("logs"));
      return 0;
    }
  }

  private static String names(LocalCluster c) {
    return new TreeMap<>(c.agents()).keySet().toString();
  }
}
