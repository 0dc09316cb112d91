package org.vmqsc.lab.cluster;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.vmqsc.lab.cluster.ClusterRun.events;
import static org.vmqsc.lab.cluster.ClusterRun.is;
import static org.vmqsc.lab.cluster.ClusterRun.say;
import static org.vmqsc.lab.cluster.ClusterRun.t;

import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.Timeout;
import org.vmqsc.server.api.ApiClient;
import org.vmqsc.sim.events.Verdict;

/**
 * A host that stops answering without dying (SIGSTOP) longer than its lease: the manager declares it failed and
 * recovers its VMs on the others; when it goes on (SIGCONT) it must not run them again. Its own event file must
 * show that it stopped its VMs before the manager's lease ended, that it was fenced and registered again empty, and
 * the merged log of every process must satisfy the event-log oracle up to a drained end.
 */
public class FencingTest {

  private static final long LEASE_MS = 3000;
  private static final long T0_MS = 1000;

  @Rule public Timeout timeout = new Timeout(5, TimeUnit.MINUTES);

  private LocalCluster cluster;

  @After public void stopEverything() {
    ClusterRun.down(cluster);
  }

  @Test public void aFrozenAgentIsFencedAndNeverRunsItsRecoveredVmsAgain() throws Exception {
    long start = System.nanoTime();
    Path dir = ClusterRun.folder("fencing").resolve("cluster");
    cluster = ClusterRun.start(dir, new LocalCluster.Settings(3, LEASE_MS, 1000, 4, 4));
    ApiClient api = cluster.api();
    String group = Groups.create(api, "fencing", T0_MS, 8);
    Groups.enable(api, group);
    say("enabled: " + Groups.placement(api, group, cluster));
    Groups.awaitLine(api, group, 2, Duration.ofSeconds(60)); // there is a line to recover to

    String victim = Groups.busiestAgent(api, group, cluster);
    String host = cluster.agent(victim).hostUuid();
    Set<Integer> vms = new HashSet<>(Groups.vmsOn(api, group, host));
    say("SIGSTOP agent " + victim + " (VMs " + vms + ")");
    long frozenAt = System.nanoTime();
    cluster.freezeAgent(victim, true);
    JsonObject recovery = Groups.awaitRecovery(api, group, Duration.ofSeconds(90), ClusterRun::say);
    assertEquals("the recovery while " + victim + " was frozen: " + recovery, "SUCCEEDED",
        recovery.get("state").getAsString());
    long frozenFor = 8000 - (System.nanoTime() - frozenAt) / 1_000_000;
    if (frozenFor > 0) Thread.sleep(frozenFor);
    for (int vm : vms) {
      assertFalse("VM " + vm + " is still placed on the frozen host", Groups.hostsOf(api, group).get(vm).equals(host));
    }
    say("SIGCONT agent " + victim);
    double thawedAt = System.currentTimeMillis() / 1000.0;
    cluster.freezeAgent(victim, false);

    Path own = dir.resolve("events").resolve("agent-" + victim + ".jsonl");
    assertTrue("the thawed agent was not fenced and registered again within 30 s; see " + own,
        ClusterRun.await(Duration.ofSeconds(30), () -> {
          List<JsonObject> after = events(own, e -> t(e) >= thawedAt);
          int fenced = indexOf(after, "fenced");
          return fenced >= 0 && indexOf(after.subList(fenced, after.size()), "registered") >= 0;
        }));
    say("fenced and registered again; " + Groups.progress(api, group));
    Thread.sleep(4000);
    say(Groups.progress(api, group));
    cluster.quiesce();
    Thread.sleep(Math.max(3000, 3 * T0_MS));
    cluster.markDrained();
    cluster.down(Duration.ofSeconds(10));

    Verdict verdict = ClusterRun.judge(cluster, dir.resolveSibling("events.jsonl"));
    assertTrue(ClusterRun.violations(verdict), verdict.ok());
    assertTrue("the run checked no recovery: " + verdict.checked(), verdict.recoveriesChecked() >= 1);

    // The manager declared the host failed once its lease ended; the host had stopped every VM strictly before.
    double failedAt = events(dir.resolve("events").resolve("manager.jsonl"),
        e -> is(e, "host_failure") && e.get("host").getAsString().equals(host))
        .stream().mapToDouble(ClusterRun::t).min().orElseThrow(() -> new AssertionError("no host_failure of " + host));
    List<JsonObject> mine = events(own);
    for (int vm : vms) {
      double stopped = mine.stream()
          .filter(e -> is(e, "vm_stop") && e.get("vm").getAsInt() == vm && e.get("reason").getAsString().equals("lease"))
          .mapToDouble(ClusterRun::t).min().orElseThrow(() -> new AssertionError("agent " + victim
              + " never stopped VM " + vm + " for its lease; see " + own));
      assertTrue(String.format("VM %d stopped at %.6f, not before the manager's host_failure at %.6f", vm, stopped,
          failedAt), stopped < failedAt);
    }
    // After the thaw, nothing of its former VMs on that host.
    for (JsonObject e : mine) {
      if (t(e) < thawedAt) continue;
      String type = e.get("event").getAsString();
      Integer vm = switch (type) {
        case "send" -> e.get("from").getAsInt();
        case "deliver", "replay" -> e.get("to").getAsInt();
        case "checkpoint", "log_segment" -> e.get("vm").getAsInt();
        default -> null;
      };
      assertFalse("after the thaw, " + victim + " wrote " + e, vm != null && vms.contains(vm));
    }
    say(String.format("FencingTest: %.0f s", (System.nanoTime() - start) / 1e9));
  }

  private static int indexOf(List<JsonObject> events, String type) {
    for (int i = 0; i < events.size(); i++) if (is(events.get(i), type)) return i;
    return -1;
  }
}
