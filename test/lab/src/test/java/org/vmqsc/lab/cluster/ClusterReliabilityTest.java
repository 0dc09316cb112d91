package org.vmqsc.lab.cluster;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.vmqsc.lab.cluster.ClusterRun.say;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.Timeout;
import org.vmqsc.server.api.ApiClient;
import org.vmqsc.sim.events.Verdict;

/**
 * The standalone cluster under a storm of crashes: a group of 8 VMs with traffic on 3 agents, and 50 SIGKILLs of
 * agents and of the manager (about 1 in 5) at random moments, during recoveries too, each killed process started
 * again after a short random delay (an agent with its same home: the same host, a new process; the manager on the
 * same port and home), at least 2 agents alive at all times. Then the guests stop sending, the traffic drains, and
 * the merged event log of every process must satisfy the oracle (no loss, no duplicate, no orphan, no VM on two
 * hosts, every VM running), every recovery must have succeeded (or failed with a reason and been followed by one
 * that succeeded), and the recovery line must have moved after the last kill.
 *
 * <p>The schedule is drawn from a seed, printed at the start; {@code -Dvmqsc.seed=N} runs the same schedule again
 * (the processes' timing still differs). {@code -Dvmqsc.kills=N} changes the number of kills.
 */
public class ClusterReliabilityTest {

  private static final long LEASE_MS = 2500;
  private static final long HEARTBEAT_MS = 500;
  private static final long T0_MS = 1000;
  private static final int AGENTS = 3;

  @Rule public Timeout timeout = new Timeout(20, TimeUnit.MINUTES);

  private LocalCluster cluster;

  @After public void stopEverything() {
    ClusterRun.down(cluster);
  }

  @Test public void fiftyRandomKillsOfAgentsAndTheManagerLoseNothing() throws Exception {
    // A fixed schedule by default, so a CI run repeats the last one checked; other seeds with -Dvmqsc.seed=N
    // (16474507340054 found that a host given the group late missed the recovery's rollback notices; seed 1 that a
    // VM restored on a host the group had not reached when it was frozen ran before its recovery ended, and was
    // restored again under the same incarnation when that recovery's manager died; seed 2 that a restore order sent
    // again by an overtaken recovery held a running VM's frames for good).
    long seed = Long.getLong("vmqsc.seed", 1L);
    int kills = Integer.getInteger("vmqsc.kills", 50);
    say("ClusterReliabilityTest: seed " + seed + " (replay the schedule with -Dvmqsc.seed=" + seed + "), " + kills
        + " kills");
    Random random = new Random(seed);
    long start = System.nanoTime();
    Path dir = ClusterRun.folder("reliability").resolve("cluster");
    cluster = ClusterRun.start(dir, new LocalCluster.Settings(AGENTS, LEASE_MS, HEARTBEAT_MS, 4, 4));
    String group = Groups.create(cluster.api(), "storm", T0_MS, 8);
    Groups.enable(cluster.api(), group);
    say("enabled: " + Groups.placement(cluster.api(), group, cluster));
    Groups.awaitLine(cluster.api(), group, 2, Duration.ofSeconds(60)); // there is a line to recover to

    RecoveryWatch recoveries = new RecoveryWatch(group);
    Map<String, Long> restartAt = new LinkedHashMap<>(); // killed process -> when (nanoTime) it starts again
    long lastKillLine = -1;
    for (int k = 1; k <= kills; k++) {
      // A random moment: often within a recovery (a lease plus a few seconds after an agent's kill), or later.
      long waitMs = random.nextInt(100) < 40 ? 300 + random.nextInt(2500) : 2000 + random.nextInt(6000);
      int manager = random.nextInt(5);
      int agentPick = random.nextInt(AGENTS);
      long restartDelayMs = 200 + random.nextInt(3500);
      waitWhileRestarting(restartAt, System.nanoTime() + waitMs * 1_000_000, recoveries);

      String victim;
      if (manager == 0 && !restartAt.containsKey("manager")) {
        victim = "manager";
      } else {
        List<String> alive = new ArrayList<>();
        for (String name : cluster.agents().keySet()) if (!restartAt.containsKey(name)) alive.add(name);
        if (alive.size() <= 2) { // at least 2 agents alive: restart the one that is down first
          restartDue(restartAt, Long.MAX_VALUE, recoveries);
          alive = new ArrayList<>(cluster.agents().keySet());
        }
        alive.sort(null);
        victim = alive.get(agentPick % alive.size());
      }
      lastKillLine = recoveries.line();
      String what = victim.equals("manager") ? "the manager" : "agent " + victim;
      say(String.format("kill %d/%d: SIGKILL %s (restart in %.1f s); %s", k, kills, what, restartDelayMs / 1000.0,
          recoveries.progress()));
      if (victim.equals("manager")) cluster.killManager(); else cluster.killAgent(victim);
      restartAt.put(victim, System.nanoTime() + restartDelayMs * 1_000_000);
    }
    restartDue(restartAt, Long.MAX_VALUE, recoveries);
    say(String.format("all %d kills done after %.0f s; waiting for the cluster to settle", kills,
        (System.nanoTime() - start) / 1e9));

    // Settled: every agent holds its lease, no recovery runs, every VM on a live agent, the line moved on.
    long settledLine = lastKillLine;
    boolean settled = ClusterRun.await(Duration.ofSeconds(120), () -> {
      recoveries.poll();
      return recoveries.settled(settledLine);
    });
    if (!settled) fail("the cluster did not settle within 120 s of the last restart: " + recoveries.progress()
        + "; see " + dir.resolve("logs"));
    say("settled: " + recoveries.progress());
    Thread.sleep(3000);
    List<JsonObject> events = recoveries.all();
    cluster.quiesce();
    Thread.sleep(Math.max(3000, 3 * T0_MS));
    cluster.markDrained();
    cluster.down(Duration.ofSeconds(10));

    Verdict verdict = ClusterRun.judge(cluster, dir.resolveSibling("events.jsonl"));
    assertTrue("seed " + seed + ": " + ClusterRun.violations(verdict), verdict.ok());
    assertTrue("the run checked no recovery: " + verdict.checked(), verdict.recoveriesChecked() >= 1);
    checkRecoveries(events, seed);
    say(String.format("ClusterReliabilityTest: seed %d, %d kills, %d recoveries, %.0f s", seed, kills, events.size(),
        (System.nanoTime() - start) / 1e9));
  }

  /** Every recovery SUCCEEDED, or FAILED with a reason and a later one of the group SUCCEEDED. */
  private static void checkRecoveries(List<JsonObject> oldestFirst, long seed) {
    assertTrue("seed " + seed + ": no recovery happened", !oldestFirst.isEmpty());
    for (int i = 0; i < oldestFirst.size(); i++) {
      JsonObject e = oldestFirst.get(i);
      String state = e.get("state").getAsString();
      if (state.equals("SUCCEEDED")) continue;
      assertEquals("seed " + seed + ": recovery " + e, "FAILED", state);
      assertTrue("seed " + seed + ": a failed recovery without a reason: " + e,
          e.has("outcome") && !e.get("outcome").getAsString().isBlank());
      boolean later = false;
      for (int j = i + 1; j < oldestFirst.size(); j++) later |= oldestFirst.get(j).get("state").getAsString().equals("SUCCEEDED");
      assertTrue("seed " + seed + ": recovery " + e + " failed and none succeeded after it", later);
    }
  }

  /** Until {@code until}: restarts what is due, says what the recoveries do. */
  private void waitWhileRestarting(Map<String, Long> restartAt, long until, RecoveryWatch recoveries)
      throws Exception {
    while (System.nanoTime() < until) {
      restartDue(restartAt, System.nanoTime(), recoveries);
      recoveries.poll();
      Thread.sleep(Math.max(1, Math.min(250, (until - System.nanoTime()) / 1_000_000)));
    }
    restartDue(restartAt, System.nanoTime(), recoveries);
  }

  /** Starts again every killed process due by {@code now} (all of them with Long.MAX_VALUE), soonest first. */
  private void restartDue(Map<String, Long> restartAt, long now, RecoveryWatch recoveries) throws Exception {
    List<Map.Entry<String, Long>> due = new ArrayList<>();
    for (Map.Entry<String, Long> e : restartAt.entrySet()) if (e.getValue() <= now) due.add(e);
    due.sort(Map.Entry.comparingByValue());
    for (Map.Entry<String, Long> e : due) {
      String name = e.getKey();
      if (name.equals("manager")) cluster.startManager(line -> say("  " + line));
      else cluster.startAgent(name, line -> say("  " + line));
      restartAt.remove(name);
      say("restarted " + (name.equals("manager") ? "the manager" : "agent " + name) + "; " + recoveries.progress());
    }
  }

  /** The group's recoveries and line as the manager's API shows them, when it answers. */
  private final class RecoveryWatch {
    private final String group;
    private final Set<String> said = new HashSet<>();
    private long line = -1;

    RecoveryWatch(String group) {
      this.group = group;
    }

    long line() {
      poll();
      return line;
    }

    void poll() {
      if (!LocalCluster.alive(cluster.manager())) return;
      try {
        ApiClient api = cluster.api();
        JsonObject g = Groups.group(api, group);
        if (g.has("lineindex")) line = g.get("lineindex").getAsLong();
        for (JsonObject e : all()) {
          String state = e.get("state").getAsString();
          if (said.add(e.get("id").getAsString() + state)) {
            say("  recovery " + e.get("id").getAsString().substring(0, 8) + " " + state + " line "
                + (e.has("lineindex") ? e.get("lineindex").getAsLong() : "-") + " rolled back "
                + e.getAsJsonArray("rolledback").size() + (e.has("outcome") ? ": " + e.get("outcome").getAsString() : ""));
          }
        }
      } catch (IOException | InterruptedException | RuntimeException e) {
        // the manager is starting or busy: next time
      }
    }

    /** Oldest first. */
    List<JsonObject> all() throws IOException, InterruptedException {
      JsonArray a = Groups.recoveries(cluster.api(), group);
      List<JsonObject> out = new ArrayList<>();
      for (JsonElement e : a) out.add(0, e.getAsJsonObject());
      return out;
    }

    String progress() {
      try {
        return Groups.progress(cluster.api(), group);
      } catch (IOException | InterruptedException | RuntimeException e) {
        return "manager not answering";
      }
    }

    boolean settled(long lineAtLastKill) throws Exception {
      ApiClient api = cluster.api();
      for (JsonObject e : all()) if (e.get("state").getAsString().equals("RUNNING")) return false;
      JsonObject hosts = api.get("listHosts").response("listHosts");
      Set<String> active = new HashSet<>();
      if (hosts != null && hosts.has("host")) {
        for (JsonElement h : hosts.getAsJsonArray("host")) {
          if (h.getAsJsonObject().get("leasestate").getAsString().equals("ACTIVE")) {
            active.add(h.getAsJsonObject().get("id").getAsString());
          }
        }
      }
      if (active.size() < AGENTS) return false;
      for (String host : Groups.hostsOf(api, group).values()) if (!active.contains(host)) return false;
      return line > lineAtLastKill;
    }
  }
}
