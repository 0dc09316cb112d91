package org.vmqsc.lab.cluster;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Consumer;
import org.vmqsc.server.api.ApiClient;

/** What the demo, the cluster command and the benchmarks ask of a manager's API, by the API alone. */
public final class Groups {

  private Groups() {}

  /** A group of {@code vms} VMs, SI and MI_2 alternating, no host named (enabling places them). */
  public static String create(ApiClient api, String name, long t0Ms, int vms) throws IOException, InterruptedException {
    return create(api, name, t0Ms, vms, i -> i % 2 == 0 ? "SI" : "MI_2");
  }

  /** A group of {@code vms} VMs, VM {@code i} of class {@code classOf.apply(i)} (SI, MI_2, ...). */
  public static String create(ApiClient api, String name, long t0Ms, int vms,
                              java.util.function.IntFunction<String> classOf) throws IOException, InterruptedException {
    String group = ok(api.get("createProtectionGroup", "name", name, "baseperiod", Long.toString(t0Ms)),
        "createProtectionGroup").getAsJsonObject("protectiongroup").get("id").getAsString();
    for (int i = 0; i < vms; i++) {
      ok(api.get("addVmToProtectionGroup", "id", group, "virtualmachineid", UUID.randomUUID().toString(),
          "vmclass", classOf.apply(i)), "addVmToProtectionGroup");
    }
    return group;
  }

  /** enableProtectionGroup, and its job to the end. */
  public static void enable(ApiClient api, String group) throws IOException, InterruptedException {
    String job = ok(api.get("enableProtectionGroup", "id", group), "enableProtectionGroup").get("jobid").getAsString();
    awaitJob(api, job, Duration.ofSeconds(60));
  }

  public static JsonObject awaitJob(ApiClient api, String job, Duration timeout) throws IOException, InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < end) {
      JsonObject r = ok(api.get("queryAsyncJobResult", "jobid", job), "queryAsyncJobResult");
      int status = r.get("jobstatus").getAsInt();
      if (status == 1) return r;
      if (status == 2) throw new IOException("job " + r.get("cmd").getAsString() + " failed: " + r.getAsJsonObject("jobresult"));
      Thread.sleep(200);
    }
    throw new IOException("job " + job + " did not end within " + timeout.toSeconds() + " s");
  }

  public static JsonObject group(ApiClient api, String group) throws IOException, InterruptedException {
    return ok(api.get("listProtectionGroups", "id", group), "listProtectionGroups")
        .getAsJsonArray("protectiongroup").get(0).getAsJsonObject();
  }

  /** VM number → host uuid. */
  public static Map<Integer, String> hostsOf(ApiClient api, String group) throws IOException, InterruptedException {
    Map<Integer, String> out = new TreeMap<>();
    for (JsonElement vm : group(api, group).getAsJsonArray("vm")) {
      JsonObject v = vm.getAsJsonObject();
      out.put(v.get("number").getAsInt(), v.has("hostid") ? v.get("hostid").getAsString() : "-");
    }
    return out;
  }

  public static String placement(ApiClient api, String group, LocalCluster cluster) throws IOException, InterruptedException {
    Map<String, List<Integer>> byName = new TreeMap<>();
    Map<String, String> names = new HashMap<>();
    cluster.agents().values().forEach(a -> names.put(a.hostUuid(), a.name()));
    hostsOf(api, group).forEach((vm, host) -> byName.computeIfAbsent(names.getOrDefault(host, host), h -> new ArrayList<>()).add(vm));
    return byName.toString();
  }

  public static List<Integer> vmsOn(ApiClient api, String group, String hostUuid) throws IOException, InterruptedException {
    List<Integer> out = new ArrayList<>();
    hostsOf(api, group).forEach((vm, host) -> {
      if (host.equals(hostUuid)) out.add(vm);
    });
    return out;
  }

  /** The live agent running most of the group's VMs. */
  public static String busiestAgent(ApiClient api, String group, LocalCluster cluster) throws IOException, InterruptedException {
    Map<Integer, String> hosts = hostsOf(api, group);
    String best = null;
    long most = -1;
    for (LocalCluster.Node a : cluster.agents().values()) {
      if (!LocalCluster.alive(a)) continue;
      long n = hosts.values().stream().filter(h -> h.equals(a.hostUuid())).count();
      if (n > most) {
        most = n;
        best = a.name();
      }
    }
    if (best == null) throw new IOException("no live agent");
    return best;
  }

  /**
   * Live-migrates the first VM of the busiest agent to the least busy one (migrateVirtualMachine, an async job)
   * and says what it did.
   */
  public static String migrateOne(ApiClient api, String group, LocalCluster cluster) throws IOException,
      InterruptedException {
    Map<Integer, String> hosts = hostsOf(api, group);
    String from = cluster.agent(busiestAgent(api, group, cluster)).hostUuid();
    String to = null;
    long fewest = Long.MAX_VALUE;
    for (LocalCluster.Node a : cluster.agents().values()) {
      long n = hosts.values().stream().filter(h -> h.equals(a.hostUuid())).count();
      if (LocalCluster.alive(a) && !a.hostUuid().equals(from) && n < fewest) {
        fewest = n;
        to = a.hostUuid();
      }
    }
    int vm = vmsOn(api, group, from).get(0);
    String vmUuid = null;
    for (JsonElement v : group(api, group).getAsJsonArray("vm")) {
      if (v.getAsJsonObject().get("number").getAsInt() == vm) vmUuid = v.getAsJsonObject().get("virtualmachineid").getAsString();
    }
    long start = System.nanoTime();
    String job = ok(api.get("migrateVirtualMachine", "virtualmachineid", vmUuid, "hostid", to), "migrateVirtualMachine")
        .get("jobid").getAsString();
    awaitJob(api, job, Duration.ofSeconds(60));
    Map<String, String> names = new HashMap<>();
    cluster.agents().values().forEach(a -> names.put(a.hostUuid(), a.name()));
    return String.format("live migration: VM %d from %s to %s in %.2f s (migrateVirtualMachine); placement %s", vm,
        names.get(from), names.get(to), (System.nanoTime() - start) / 1e9, placement(api, group, cluster));
  }

  /** One line of progress: the line, the recoveries, the hosts' leases. */
  public static String progress(ApiClient api, String group) throws IOException, InterruptedException {
    JsonObject g = group(api, group);
    StringBuilder b = new StringBuilder("recovery line " + (g.has("lineindex") ? g.get("lineindex").getAsLong() : "-"));
    Map<String, String> leases = leases(api);
    if (!leases.isEmpty()) {
      b.append("; hosts");
      leases.forEach((name, state) -> b.append(' ').append(name).append('=').append(state));
    }
    return b.toString();
  }

  /** Waits for the group's newest recovery to end, saying each step it sees; returns it. */
  public static JsonObject awaitRecovery(ApiClient api, String group, Duration timeout, Consumer<String> say)
      throws IOException, InterruptedException {
    return awaitRecovery(api, group, recoveries(api, group).size(), timeout, say);
  }

  /**
   * Waits for a recovery of the group beyond the {@code before} it had (counted before the failure: a recovery
   * that ends before this call is seen too).
   */
  public static JsonObject awaitRecovery(ApiClient api, String group, int before, Duration timeout,
      Consumer<String> say) throws IOException, InterruptedException {
    long start = System.nanoTime(), end = start + timeout.toNanos();
    String last = "";
    while (System.nanoTime() < end) {
      JsonArray events = recoveries(api, group);
      String now;
      JsonObject newest = events.size() > before ? events.get(0).getAsJsonObject() : null;
      if (newest == null) {
        now = "waiting: " + progress(api, group);
      } else if (newest.get("state").getAsString().equals("RUNNING")) {
        now = "recovering: plan claimed, rolling back VMs " + numbers(api, group, newest) + ", none behind line "
            + newest.get("lineindex") + "; restores and replays under way";
      } else {
        say.accept(String.format("      %s after %.1f s: rolled back VMs %s, none behind line %s, %d messages replayed; %s",
            newest.get("state").getAsString().toLowerCase(), (System.nanoTime() - start) / 1e9,
            numbers(api, group, newest), newest.get("lineindex"), newest.get("replayedmessages").getAsLong(),
            progress(api, group)));
        return newest;
      }
      if (!now.equals(last)) say.accept(String.format("      %4.1f s  %s", (System.nanoTime() - start) / 1e9, now));
      last = now;
      Thread.sleep(250);
    }
    throw new IOException("no recovery of group " + group + " ended within " + timeout.toSeconds() + " s");
  }

  /** The VM numbers a recovery event rolled back. */
  static List<Integer> numbers(ApiClient api, String group, JsonObject event) throws IOException, InterruptedException {
    Map<String, Integer> numberOf = new HashMap<>();
    for (JsonElement vm : group(api, group).getAsJsonArray("vm")) {
      numberOf.put(vm.getAsJsonObject().get("virtualmachineid").getAsString(), vm.getAsJsonObject().get("number").getAsInt());
    }
    List<Integer> out = new ArrayList<>();
    for (JsonElement uuid : event.getAsJsonArray("rolledback")) out.add(numberOf.getOrDefault(uuid.getAsString(), -1));
    java.util.Collections.sort(out);
    return out;
  }

  /** Waits until no recovery of the group runs (one may have started on its own: a host missed its lease). */
  public static void awaitNoRecoveryRunning(ApiClient api, String group, Duration timeout) throws IOException,
      InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < end) {
      boolean running = false;
      for (JsonElement e : recoveries(api, group)) {
        running |= e.getAsJsonObject().get("state").getAsString().equals("RUNNING");
      }
      if (!running) return;
      Thread.sleep(250);
    }
    throw new IOException("a recovery of group " + group + " still runs after " + timeout.toSeconds() + " s");
  }

  /** Every protection group's id, in the manager's order. */
  public static List<String> groupIds(ApiClient api) throws IOException, InterruptedException {
    JsonObject r = ok(api.get("listProtectionGroups"), "listProtectionGroups");
    List<String> out = new ArrayList<>();
    if (r.has("protectiongroup")) {
      for (JsonElement g : r.getAsJsonArray("protectiongroup")) out.add(g.getAsJsonObject().get("id").getAsString());
    }
    return out;
  }

  /** host name → lease state, from listHosts. */
  public static Map<String, String> leases(ApiClient api) throws IOException, InterruptedException {
    JsonObject hosts = ok(api.get("listHosts"), "listHosts");
    Map<String, String> out = new TreeMap<>();
    if (hosts.has("host")) {
      for (JsonElement h : hosts.getAsJsonArray("host")) {
        JsonObject o = h.getAsJsonObject();
        out.put(o.get("name").getAsString(), o.get("leasestate").getAsString());
      }
    }
    return out;
  }

  /** Waits until the group has a recovery line at {@code index} or later (its checkpoints are stable that far). */
  public static void awaitLine(ApiClient api, String group, long index, Duration timeout)
      throws IOException, InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < end) {
      JsonObject g = group(api, group);
      if (g.has("lineindex") && g.get("lineindex").getAsLong() >= index) return;
      Thread.sleep(200);
    }
    throw new IOException("group " + group + " had no recovery line at " + index + " within " + timeout.toSeconds()
        + " s: " + progress(api, group));
  }

  /** Waits until the host named {@code name} holds an active lease again. */
  public static void awaitLease(ApiClient api, String name, Duration timeout) throws IOException, InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < end) {
      if ("ACTIVE".equals(leases(api).get(name))) return;
      Thread.sleep(100);
    }
    throw new IOException("host " + name + " did not hold its lease within " + timeout.toSeconds() + " s: "
        + leases(api));
  }

  public static JsonArray recoveries(ApiClient api, String group) throws IOException, InterruptedException {
    JsonObject r = ok(api.get("listRecoveryEvents", "protectiongroupid", group), "listRecoveryEvents");
    return r.has("recoveryevent") ? r.getAsJsonArray("recoveryevent") : new JsonArray();
  }

  static JsonObject ok(ApiClient.Reply reply, String command) throws IOException {
    JsonObject r = reply.response(command);
    if (!reply.ok()) {
      throw new IOException(command + " failed (" + reply.status() + "): "
          + (r != null && r.has("errortext") ? r.get("errortext").getAsString() : reply.body()));
    }
    return r;
  }
}
