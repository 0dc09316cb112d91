package org.vmqsc.server.cluster;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.vmqsc.server.cluster.ClusterProbe.await;

import com.google.gson.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.Test;
import java.io.IOException;
import java.net.InetSocketAddress;
import org.vmqsc.agent.driver.Capture;
import org.vmqsc.agent.driver.GuestMachines;
import org.vmqsc.agent.driver.ImageConsumer;
import org.vmqsc.agent.process.AgentProcess;
import org.vmqsc.agent.wire.Wire;

/**
 * The manager and three agents in one JVM, talking HTTP and UDP on loopback as separate processes would: agents
 * register and hold leases, a group is enabled and its line moves, an agent that stops is declared failed and its
 * VMs are recovered on the others, and the line moves on. The process-level tests (SIGKILL, SIGSTOP) are in
 * test/lab; this one shows the same path in seconds.
 */
public class AgentsInOneJvmTest extends AgentsInOneJvm {

  public AgentsInOneJvmTest() {
    super("agents");
  }

  /** Short, so that the tests here run with the hosts reconciling their stores every three seconds. */
  @Override protected Duration storageGrace() {
    return Duration.ofSeconds(3);
  }

  @Test(timeout = 120_000)
  public void aGroupRunsOnAgentsAndAnAgentThatStopsIsRecoveredElsewhere() throws Exception {
    await(() -> probe.activeHosts() == 3, "three agents hold leases");
    String group = createGroup("g");
    addVms(group, "SI", "MI_2", "SI", "MI_2", "SI", "MI_2");
    assertEquals(1, enable(group).get("jobstatus").getAsInt());
    await(() -> probe.line(group) >= 3, "the recovery line moves");

    // A guest dies: its own host rebuilds it from its staged checkpoint and its volatile log, to the very state
    // it died in; nothing else is rolled back.
    AgentProcess host = agents.get(0);
    int vm = -1;
    for (var v : probe.group(group).getAsJsonArray("vm")) {
      if (v.getAsJsonObject().get("hostid").getAsString().equals(host.hostUuid())) vm = v.getAsJsonObject().get("number").getAsInt();
    }
    assertTrue("h1 runs a VM", vm >= 0);
    String token = agentToken();
    HttpResponse<String> crashed = post(HttpClient.newHttpClient(), URI.create(host.url()).resolve("v1/crash-guest"),
        token, "{\"group\":\"" + group + "\",\"vm\":" + vm + "}");
    assertEquals(crashed.body(), 200, crashed.statusCode());
    JsonObject failure = lastEvent(dir.resolve("events/h1.jsonl"), "vm_failure");
    JsonObject rebuilt = lastEvent(dir.resolve("events/h1.jsonl"), "restore");
    assertEquals("vm", rebuilt.get("kind").getAsString());
    assertEquals(failure.get("vm"), rebuilt.get("vm"));
    assertEquals("rebuilt to the state it died in", failure.get("state"), rebuilt.get("state"));
    assertEquals(failure.get("position"), rebuilt.get("position"));
    assertEquals("a VM failure is not a group recovery", 0, probe.recoveries(group));

    // Live migration of that VM to h3 while the group runs: it runs there from now on, and checkpoints there.
    AgentProcess to = agents.get(2);
    String vmUuid = "vm-" + vm;
    String migrateJob = api.get("migrateVirtualMachine", "virtualmachineid", vmUuid, "hostid", to.hostUuid())
        .response("migrateVirtualMachine").get("jobid").getAsString();
    JsonObject migrated = api.awaitJob(migrateJob, Duration.ofSeconds(60));
    assertEquals(migrated.toString(), 1, migrated.get("jobstatus").getAsInt());
    assertEquals(to.hostUuid(), migrated.getAsJsonObject("jobresult").getAsJsonObject("virtualmachine")
        .get("hostid").getAsString());
    int movedVm = vm;
    await(() -> hasEvent(dir.resolve("events/h3.jsonl"), "checkpoint", movedVm), "the migrated VM checkpoints on h3");
    assertEquals("a migration is not a recovery", 0, probe.recoveries(group));
    long lineAfterMigration = probe.line(group);
    await(() -> probe.line(group) > lineAfterMigration + 1, "the line moves on after the migration");

    AgentProcess victim = agents.get(1);
    victim.close(); // it stops heartbeating: its lease ends
    long lineBefore = probe.line(group);
    assertEquals(victim.hostUuid(), awaitRecovery(group).get("failedid").getAsString());
    assertNoVmOn(group, victim.hostUuid());
    await(() -> probe.line(group) > lineBefore + 2, "the line moves on after the recovery");
    awaitStorageFollowsTheCatalog(group);
  }

  /**
   * What the manager collected behind the line is gone from stable storage (every host is told; the live ones
   * delete), and what it still counts on is there: some checkpoints and log segments of each kind.
   */
  private void awaitStorageFollowsTheCatalog(String group) throws Exception {
    Path stable = dir.resolve("stable");
    int[] collected = new int[2];
    await(() -> {
      List<String> problems = new ArrayList<>();
      collected[0] = 0;
      collected[1] = 0;
      for (var c : all("listVmCheckpoints", group, "vmcheckpoint")) {
        JsonObject o = c.getAsJsonObject();
        String state = o.get("state").getAsString();
        Path manifest = stable.resolve("checkpoints/manifests").resolve(o.get("location").getAsString()
            .substring("ckpt/".length()));
        if (state.equals("COLLECTED")) {
          collected[0]++;
          if (Files.exists(manifest)) problems.add("collected, still stored: " + o);
        } else if (state.equals("STABLE") && !Files.exists(manifest)) {
          problems.add("stable, not stored: " + o);
        }
      }
      for (var s : all("listLogSegments", group, "logsegment")) {
        JsonObject o = s.getAsJsonObject();
        if (!o.get("state").getAsString().equals("COLLECTED")) continue;
        collected[1]++;
        if (Files.exists(stable.resolve("logs").resolve(o.get("location").getAsString()))) {
          problems.add("collected, still stored: " + o);
        }
      }
      return problems.isEmpty();
    }, "stable storage holds what the catalog counts on, and no more");
    assertTrue("checkpoints were collected: " + collected[0], collected[0] > 0);
    assertTrue("log segments were collected: " + collected[1], collected[1] > 0);
    // The agents delete their staged copies too, and one of them (one at a time) swept the stable store's chunks.
    int staged = 0;
    boolean swept = false;
    List<String> sweeps = new ArrayList<>();
    for (String host : List.of("h1", "h2", "h3")) {
      for (String line : completeLines(dir.resolve("events/" + host + ".jsonl"))) {
        JsonObject e = com.google.gson.JsonParser.parseString(line).getAsJsonObject();
        if (e.get("event").getAsString().equals("collect_failed")) sweeps.add(e.toString());
        if (!e.get("event").getAsString().equals("collected")) continue;
        if (e.has("sweep")) sweeps.add(e.get("sweep").getAsString());
        staged += e.get("staged").getAsInt();
        swept |= e.has("sweep") && e.get("sweep").getAsString().startsWith("Result[");
      }
    }
    assertTrue("the agents deleted staged checkpoints behind the line", staged > 0);
    assertTrue("a host swept the stable store: " + sweeps, swept);

    // Left over on stable storage, old: a checkpoint and a log record the catalog never heard of (a deleted group's,
    // or collected while no host could hear). The hosts delete them at their next reconciliation; what the catalog
    // counts on stays (checked above, again below).
    Path someManifest;
    try (var vms = Files.list(stable.resolve("checkpoints/manifests"))) {
      Path vmDir = vms.findFirst().orElseThrow();
      try (var files = Files.list(vmDir)) {
        someManifest = files.findFirst().orElseThrow();
      }
    }
    Path leftover = Files.createDirectories(stable.resolve("checkpoints/manifests/vm-of-a-deleted-group"))
        .resolve(someManifest.getFileName());
    Files.copy(someManifest, leftover);
    Path leftoverLog = Files.createDirectories(stable.resolve("logs/deleted-group"))
        .resolve("transit-from1-to2-seq3-inc0-rinc0.log");
    Files.write(leftoverLog, new byte[] {1, 2, 3});
    java.nio.file.attribute.FileTime hourAgo = java.nio.file.attribute.FileTime.from(
        java.time.Instant.now().minus(Duration.ofHours(1)));
    Files.setLastModifiedTime(leftover, hourAgo);
    Files.setLastModifiedTime(leftoverLog, hourAgo);
    await(() -> !Files.exists(leftover) && !Files.exists(leftoverLog), "the hosts delete what is left over");
    assertTrue("a host reported it", completeLines(dir.resolve("events/h1.jsonl")).stream()
        .anyMatch(l -> l.contains("\"reconciled\"")) || completeLines(dir.resolve("events/h3.jsonl")).stream()
        .anyMatch(l -> l.contains("\"reconciled\"")));
  }

  /**
   * Deleting a running group stops it on every agent (no more checkpoints or reports of it), and what it stored goes
   * at the hosts' next reconciliation.
   */
  @Test(timeout = 120_000)
  public void aDeletedGroupStopsOnItsHostsAndItsStorageGoes() throws Exception {
    await(() -> probe.activeHosts() == 3, "three agents hold leases");
    String group = createGroup("gone");
    addVms(group, "SI", "MI_2", "SI");
    assertEquals(1, enable(group).get("jobstatus").getAsInt());
    await(() -> probe.line(group) >= 3, "the recovery line moves");
    Path manifests = dir.resolve("stable/checkpoints/manifests");
    assertTrue(Files.exists(manifests.resolve("vm-0")));

    assertTrue(api.get("deleteProtectionGroup", "id", group).ok());
    for (String host : List.of("h1", "h2", "h3")) {
      await(() -> lastEventOrNull(dir.resolve("events/" + host + ".jsonl"), "dropped") != null,
          host + " stops running the deleted group");
    }
    await(() -> {
      for (String vm : List.of("vm-0", "vm-1", "vm-2")) {
        Path d = manifests.resolve(vm);
        if (Files.exists(d)) {
          try (var files = Files.list(d)) {
            if (files.findAny().isPresent()) return false;
          }
        }
      }
      Path logs = dir.resolve("stable/logs").resolve(group);
      if (Files.exists(logs)) {
        try (var files = Files.list(logs)) {
          return files.noneMatch(f -> f.getFileName().toString().endsWith(".log"));
        }
      }
      return true;
    }, "the deleted group's checkpoints and log records go from stable storage");
  }

  /**
   * Phased MI VMs on agents: MI_3@2 and MI_4@1 take their basic checkpoints at the base boundaries n with
   * n mod k = φ only (besides their first, at 0) and log segments at the others; a host running one of them stops,
   * the manager recovers its VMs elsewhere, and the restored VMs keep their phase.
   */
  @Test(timeout = 120_000)
  public void phasedMiVmsCheckpointAtTheirPhaseAndSurviveAHostFailure() throws Exception {
    await(() -> probe.activeHosts() == 3, "three agents hold leases");
    String group = createGroup("phased");
    addVms(group, "SI", "MI_3@2", "SI", "MI_4@1", "SI", "mi_2@1");
    List<String> listed = new ArrayList<>();
    for (var v : probe.group(group).getAsJsonArray("vm")) listed.add(v.getAsJsonObject().get("vmclass").getAsString());
    assertEquals(List.of("SI", "MI_3@2", "SI", "MI_4@1", "SI", "MI_2@1"), listed);
    assertEquals(1, enable(group).get("jobstatus").getAsInt());
    await(() -> probe.line(group) >= 8, "the recovery line moves");
    checkPhases(group, 0);

    AgentProcess victim = probe.hostOf(group, "vm-1", agents);
    assertTrue("the host of vm-1 is one of the agents", victim != null);
    victim.close();
    long lineBefore = probe.line(group);
    assertEquals(victim.hostUuid(), awaitRecovery(group).get("failedid").getAsString());
    assertNoVmOn(group, victim.hostUuid());
    await(() -> probe.line(group) > lineBefore + 8, "the line moves on after the recovery");
    long restored = checkPhases(group, lineBefore + 1);
    assertTrue("the phased VMs checkpoint at their phase after the recovery too", restored >= 3);
  }

  /**
   * Checks every recorded checkpoint of the phased VMs (vm-1 MI_3@2, vm-3 MI_4@1, vm-5 MI_2@1): unforced ones after
   * boundary 0 lie at n mod k = φ, log segments elsewhere; each VM has some of both. Returns how many unforced
   * checkpoints of theirs lie beyond {@code after}.
   */
  private long checkPhases(String group, long after) throws Exception {
    java.util.Map<String, int[]> phased = java.util.Map.of("vm-1", new int[] {3, 2}, "vm-3", new int[] {4, 1},
        "vm-5", new int[] {2, 1});
    java.util.Map<String, Integer> basic = new java.util.HashMap<>(), segments = new java.util.HashMap<>();
    long beyond = 0;
    for (var c : all("listVmCheckpoints", group, "vmcheckpoint")) {
      JsonObject o = c.getAsJsonObject();
      int[] kf = phased.get(o.get("virtualmachineid").getAsString());
      long n = o.get("index").getAsLong();
      if (kf == null || n == 0 || o.get("forced").getAsBoolean()) continue;
      assertEquals(o.toString(), kf[1], n % kf[0]);
      basic.merge(o.get("virtualmachineid").getAsString(), 1, Integer::sum);
      if (n > after) beyond++;
    }
    for (var s : all("listLogSegments", group, "logsegment")) {
      JsonObject o = s.getAsJsonObject();
      int[] kf = phased.get(o.get("virtualmachineid").getAsString());
      if (kf == null) continue;
      assertTrue(o.toString(), o.get("index").getAsLong() % kf[0] != kf[1]);
      segments.merge(o.get("virtualmachineid").getAsString(), 1, Integer::sum);
    }
    assertEquals(basic.toString(), phased.keySet(), basic.keySet());
    assertEquals(segments.toString(), phased.keySet(), segments.keySet());
    return beyond;
  }

  /** Every item of a history listing, removed ones too, page by page. */
  private List<com.google.gson.JsonElement> all(String command, String group, String key) throws Exception {
    List<com.google.gson.JsonElement> out = new ArrayList<>();
    for (int page = 1; ; page++) {
      JsonObject r = api.get(command, "protectiongroupid", group, "includeremoved", "true", "page",
          String.valueOf(page), "pagesize", "500").response(command);
      if (!r.has("count")) return out; // an empty listing is {}
      assertTrue(r.toString(), r.has(key) || page > 1);
      if (!r.has(key) || r.getAsJsonArray(key).isEmpty()) return out;
      r.getAsJsonArray(key).forEach(out::add);
      if (out.size() >= r.get("count").getAsInt()) return out;
    }
  }

  /**
   * A recovery freezes a group on every live host, also on a host that runs none of its VMs yet: a VM restored
   * there during the recovery must stand still until the recovery thaws the group (were it to run and the
   * recovery's manager to die, the next manager would restore it again under the same incarnation). Here the
   * freeze reaches the agents before the group is deployed at all: its VMs boot, and none makes a step until the
   * thaw.
   */
  @Test(timeout = 120_000)
  public void aFreezeHoldsTheVmsAGroupDeploysOnTheHostAfterIt() throws Exception {
    await(() -> probe.activeHosts() == 3, "three agents hold leases");
    String group = createGroup("held");
    for (int i = 0; i < 3; i++) assertTrue(api.get("addVmToProtectionGroup", "id", group, "virtualmachineid", "held-" + i).ok());
    HttpClient http = HttpClient.newHttpClient();
    String token = agentToken();
    String ref = Wire.GSON.toJson(new org.vmqsc.agent.wire.WireMessages.GroupRef(group));
    for (AgentProcess a : agents) assertEquals(200, post(http, URI.create(a.url()).resolve("v1/freeze"), token, ref).statusCode());

    assertEquals(1, enable(group).get("jobstatus").getAsInt());
    await(() -> positions(http, token, ref).size() == 3, "the three VMs boot");
    Thread.sleep(2000); // four base periods: a running guest makes several steps in that time
    assertEquals("no VM steps while the group is frozen", List.of(0L, 0L, 0L), positions(http, token, ref));

    for (AgentProcess a : agents) assertEquals(200, post(http, URI.create(a.url()).resolve("v1/thaw"), token, ref).statusCode());
    await(() -> positions(http, token, ref).stream().allMatch(p -> p > 0), "every VM steps once thawed");
  }

  /**
   * A restore order a host has carried out already (a resumed recovery sends its orders again; one overtaken by a
   * later recovery names an older incarnation) changes nothing: the VM goes on stepping and receiving. Had the host
   * held its frames for replays, as for a real restore, and the recovery failed before sending them, the VM would
   * stand still for good.
   */
  @Test(timeout = 120_000)
  public void aRestoreOrderCarriedOutBeforeLeavesTheVmRunning() throws Exception {
    await(() -> probe.activeHosts() == 3, "three agents hold leases");
    String group = createGroup("again");
    for (int i = 0; i < 3; i++) assertTrue(api.get("addVmToProtectionGroup", "id", group, "virtualmachineid", "again-" + i).ok());
    assertEquals(1, enable(group).get("jobstatus").getAsInt());
    HttpClient http = HttpClient.newHttpClient();
    String token = agentToken();
    String ref = Wire.GSON.toJson(new org.vmqsc.agent.wire.WireMessages.GroupRef(group));
    await(() -> positions(http, token, ref).size() == 3, "the three VMs boot");

    // Incarnation 0, which every VM runs since its boot: an order done before.
    for (AgentProcess a : agents) {
      for (int vm = 0; vm < 3; vm++) {
        org.vmqsc.protocol.BoundaryRecord boot = new org.vmqsc.protocol.BoundaryRecord(vm, 0, 0,
            org.vmqsc.protocol.BoundaryKind.CHECKPOINT, false, 0, 0, new long[3], new long[3]);
        var order = new org.vmqsc.agent.wire.WireMessages.RestoreOrder(group,
            new org.vmqsc.protocol.recovery.VmRestore(vm, 0, boot, List.of(), boot, List.of()), "ckpt/none/i0-n0", List.of());
        if (!runsVm(http, token, ref, a, vm)) continue;
        HttpResponse<String> r = post(http, URI.create(a.url()).resolve("v1/restore"), token, Wire.GSON.toJson(order));
        assertEquals(r.body(), 200, r.statusCode());
      }
    }
    // An order the agent refuses is answered, with the reason (not a connection closed without a word).
    HttpResponse<String> refused = post(http, URI.create(agents.get(0).url()).resolve("v1/restore"), token,
        Wire.GSON.toJson(new org.vmqsc.agent.wire.WireMessages.RestoreOrder("no-such-group", null, null, List.of())));
    assertEquals(refused.body(), 409, refused.statusCode());
    assertTrue(refused.body(), refused.body().contains("not deployed"));
    List<Long> after = positions(http, token, ref);
    await(() -> {
      List<Long> now = positions(http, token, ref);
      for (int vm = 0; vm < 3; vm++) if (now.get(vm) <= after.get(vm) + 2) return false;
      return true;
    }, "every VM steps on after the repeated restore orders");
  }

  private boolean runsVm(HttpClient http, String token, String ref, AgentProcess a, int vm) throws Exception {
    for (var v : vmsOn(http, token, ref, a)) if (v.getAsJsonObject().get("vm").getAsInt() == vm) return true;
    return false;
  }

  /** The group's VMs {@code a} runs, as its status order reports them (vm, position, …). */
  private static com.google.gson.JsonArray vmsOn(HttpClient http, String token, String ref, AgentProcess a)
      throws Exception {
    HttpResponse<String> r = post(http, URI.create(a.url()).resolve("v1/status"), token, ref);
    assertEquals(r.body(), 200, r.statusCode());
    String group = com.google.gson.JsonParser.parseString(ref).getAsJsonObject().get("group").getAsString();
    JsonObject groups = com.google.gson.JsonParser.parseString(r.body()).getAsJsonObject().getAsJsonObject("groups");
    return groups == null || !groups.has(group) ? new com.google.gson.JsonArray() : groups.getAsJsonArray(group);
  }


  /** The positions of the group's VMs on every agent, by VM number. */
  private List<Long> positions(HttpClient http, String token, String ref) throws Exception {
    java.util.TreeMap<Integer, Long> byVm = new java.util.TreeMap<>();
    for (AgentProcess a : agents) {
      for (var vm : vmsOn(http, token, ref, a)) {
        byVm.put(vm.getAsJsonObject().get("vm").getAsInt(), vm.getAsJsonObject().get("position").getAsLong());
      }
    }
    return new ArrayList<>(byVm.values());
  }


  /**
   * An agent that runs real guests says so when it registers; a group with an MI VM is then refused at enable,
   * with the reason (a real guest restores from its checkpoints only), and nothing is deployed.
   */
  @Test(timeout = 60_000)
  public void aGroupWithAnMiVmIsRefusedWhereAnAgentRunsRealGuests() throws Exception {
    URI base = URI.create(managerEndpoint().resolve("/").toString());
    // A hypervisor that can start nothing: the group must be refused before any deployment reaches it.
    GuestMachines none = new GuestMachines() {
      @Override public InetSocketAddress start(String name, int vm, int groupSize, InetSocketAddress relayEnd) throws IOException {
        throw new IOException("no machines in this test");
      }
      @Override public void prepareCut(String name) throws IOException {
        throw new IOException("no machines in this test");
      }
      @Override public void pause(String name) throws IOException {
        throw new IOException("no machines in this test");
      }
      @Override public void resume(String name) throws IOException {
        throw new IOException("no machines in this test");
      }
      @Override public Capture checkpointPaused(String name, Runnable running, ImageConsumer memory, Path disks) throws IOException {
        throw new IOException("no machines in this test");
      }
      @Override public InetSocketAddress restore(String name, int vm, Path image, Path disks, InetSocketAddress relayEnd) throws IOException {
        throw new IOException("no machines in this test");
      }
      @Override public void collect(String name, Path oldestKept) throws IOException {
        throw new IOException("no machines in this test");
      }
      @Override public void destroy(String name) {}
      @Override public void close() {}
    };
    agents.add(AgentProcess.start(new AgentProcess.Config("kvm1", base, agentToken(),
        dir.resolve("kvm1"), dir.resolve("stable"), dir.resolve("events/kvm1.jsonl")), none));
    await(() -> probe.activeHosts() == 4, "four agents hold leases");
    String group = createGroup("mixed");
    assertTrue(api.get("addVmToProtectionGroup", "id", group, "virtualmachineid", "si-0", "vmclass", "SI").ok());
    assertTrue(api.get("addVmToProtectionGroup", "id", group, "virtualmachineid", "mi-1", "vmclass", "MI_2").ok());
    JsonObject refused = enable(group);
    assertEquals(refused.toString(), 2, refused.get("jobstatus").getAsInt());
    assertTrue(refused.toString(), refused.toString().contains("real guests"));
    assertTrue("the group did not start", !probe.group(group).has("lineindex"));
  }

  @Test(timeout = 60_000)
  public void theAgentEndpointsRefuseStrangersAndBadBodies() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    URI register = managerEndpoint().resolve("/agent/v1/register");
    String token = agentToken();
    assertEquals(401, post(http, register, null, "{}").statusCode());
    assertEquals(401, post(http, register, "wrong", "{}").statusCode());
    HttpResponse<String> bad = post(http, register, token, "{not json");
    assertEquals(400, bad.statusCode());
    assertTrue(bad.body(), !bad.body().contains("at org."));
    assertEquals(400, post(http, register, token, "{\"name\":\"x\"}").statusCode());
    HttpResponse<String> stranger = post(http, managerEndpoint().resolve("/agent/v1/heartbeat"), token,
        Wire.GSON.toJson(new org.vmqsc.agent.wire.WireMessages.Heartbeat("no-such-host", 0, 1)));
    assertEquals(200, stranger.statusCode());
    assertTrue("an unknown host must register first", stranger.body().contains("\"known\":false"));
    assertEquals(409, post(http, managerEndpoint().resolve("/agent/v1/report"), token,
        "{\"hostUuid\":\"h\",\"group\":\"no-such-group\",\"batch\":[]}").statusCode());
    assertEquals(404, post(http, managerEndpoint().resolve("/agent/v1/nothing"), token, "{}").statusCode());
  }

  private static HttpResponse<String> post(HttpClient http, URI uri, String token, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString(body));
    if (token != null) b.header(Wire.TOKEN_HEADER, token);
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonObject lastEventOrNull(Path file, String type) throws Exception {
    try {
      return lastEvent(file, type);
    } catch (AssertionError none) {
      return null;
    }
  }

  private static JsonObject lastEvent(Path file, String type) throws Exception {
    JsonObject last = null;
    for (String line : completeLines(file)) {
      JsonObject e = com.google.gson.JsonParser.parseString(line).getAsJsonObject();
      if (e.get("event").getAsString().equals(type)) last = e;
    }
    if (last == null) throw new AssertionError("no " + type + " event in " + file);
    return last;
  }

  private static boolean hasEvent(Path file, String type, int vm) throws Exception {
    for (String line : completeLines(file)) {
      JsonObject e = com.google.gson.JsonParser.parseString(line).getAsJsonObject();
      if (e.get("event").getAsString().equals(type) && e.has("vm") && e.get("vm").getAsInt() == vm) return true;
    }
    return false;
  }

  /** The event file's lines the agents have finished writing: the last may still be on its way while they run. */
  private static java.util.List<String> completeLines(Path file) throws Exception {
    byte[] bytes = Files.readAllBytes(file);
    int end = bytes.length;
    while (end > 0 && bytes[end - 1] != '\n') end--;
    return new String(bytes, 0, end, java.nio.charset.StandardCharsets.UTF_8).lines().toList();
  }
}
