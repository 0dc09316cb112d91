package org.vmqsc.lab.cluster;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;
import org.vmqsc.agent.kvm.GuestRecords;
import org.vmqsc.agent.kvm.GuestVerdict;
import org.vmqsc.agent.kvm.LabGuest;
import org.vmqsc.server.api.ApiClient;
import org.vmqsc.sim.events.MergedEventLog;

/**
 * Real guests end to end: a manager and two agents running QEMU guests ({@code ./vmqsc agent --kvm}), a group of
 * four SI VMs whose guests send each other numbered UDP messages through the agents' relays and record every send
 * and receipt on their disks and serial consoles; one agent killed with SIGKILL and its domains destroyed (the
 * host is gone); the manager restores its VMs on the other agent. The guests' own records then judge the run
 * ({@link GuestVerdict}): no orphan, no loss, no duplicate on any channel, and each guest's disk agrees with its
 * memory (its program counts the records it wrote and reads the disk back).
 */
public final class RealGuestRun {

  /** What the run measured and what the guests say. */
  public record Outcome(JsonObject recovery, double detectionSeconds, double recoverySeconds, Path events,
                        GuestVerdict.Result verdict,
                        Map<Integer, Integer> sendsAtRecovery, Map<Integer, Integer> sendsAtEnd,
                        List<String> diskFaults, int diskSnapshots, int stableDiskLayers,
                        Map<Integer, Path> serialLogs) {
    /** Every guest sent more after the recovery than it had when the recovery ended. */
    public boolean countingOn() {
      for (Map.Entry<Integer, Integer> e : sendsAtEnd.entrySet()) {
        if (e.getValue() <= sendsAtRecovery.getOrDefault(e.getKey(), 0)) return false;
      }
      return !sendsAtEnd.isEmpty();
    }
  }

  private static final Pattern DISK_SOURCE =
      Pattern.compile("<disk[^>]*device=['\"]disk['\"][^>]*>.*?<source file=['\"]([^'\"]+)['\"]", Pattern.DOTALL);

  private final Path dir;
  private final Consumer<String> say;
  private final long t0Ms;
  private final Duration before, after;
  private final long leaseMs;

  public RealGuestRun(Path dir, Consumer<String> say, long t0Ms, Duration before, Duration after) {
    this(dir, say, t0Ms, before, after, 3000);
  }

  /**
   * @param leaseMs the agents' lease: an agent that cannot renew it in time is taken for failed. On a busy machine
   *                the agents compete with four software-emulated guests for the cores (a guest's start through
   *                libvirt took 6.5 s at a load average of 7 on 2 cores; starts now run off the agent's loop)
   */
  public RealGuestRun(Path dir, Consumer<String> say, long t0Ms, Duration before, Duration after, long leaseMs) {
    this.dir = dir;
    this.say = say;
    this.t0Ms = t0Ms;
    this.before = before;
    this.after = after;
    this.leaseMs = leaseMs;
  }

  /** The disk layers the stable chains hold, all VMs and disks together. */
  static int stableDiskLayers(Path disks) throws IOException {
    if (!Files.isDirectory(disks)) return 0;
    int layers = 0;
    try (var files = Files.walk(disks)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Path parent = f.getParent();
        if (Files.isRegularFile(f) && parent.getParent() != null && parent.getParent().getFileName().toString()
            .equals("chain") && f.getFileName().toString().endsWith(".qcow2")) {
          layers++;
        }
      }
    }
    return layers;
  }

  public Outcome run() throws IOException, InterruptedException {
    say.accept("[1/5] a manager and 2 agents running real QEMU guests (software emulation), each its own process");
    LocalCluster cluster = LocalCluster.start(dir.resolve("cluster"), new LocalCluster.Settings(2, leaseMs, 500, 4, 16, true),
        line -> say.accept("      " + line));
    Map<Integer, Path> disks = new TreeMap<>();
    Map<Integer, String> names = new TreeMap<>();
    Connect libvirt = null;
    try {
      libvirt = LabGuest.connect();
      ApiClient api = cluster.api();
      String group = Groups.create(api, "real", t0Ms, 4, vm -> "SI");
      Groups.enable(api, group);
      names.putAll(domainNames(api, group));
      say.accept("[2/5] group 'real': 4 SI VMs, T0 " + t0Ms + " ms; placement " + Groups.placement(api, group, cluster)
          + "; each guest sends about 4 messages a second, round robin");
      Groups.awaitLine(api, group, 1, Duration.ofSeconds(180));
      awaitReceipts(names, 5, Duration.ofSeconds(180));
      Thread.sleep(before.toMillis());
      say.accept("      line " + Groups.group(api, group).get("lineindex") + "; receipts per guest " + receipts(names));

      String victim = Groups.busiestAgent(api, group, cluster);
      List<Integer> lost = Groups.vmsOn(api, group, cluster.agent(victim).hostUuid());
      int recoveriesBefore = Groups.recoveries(api, group).size();
      say.accept("[3/5] SIGKILL agent " + victim + " and destroy its domains (VMs " + lost + ")");
      cluster.killAgent(victim);
      for (int vm : lost) destroyWhenIdle(libvirt, names.get(vm));
      JsonObject recovery = Groups.awaitRecovery(api, group, recoveriesBefore, Duration.ofSeconds(240), say);
      if (!"SUCCEEDED".equals(recovery.get("state").getAsString())) {
        throw new IOException("the recovery ended " + recovery.get("state") + ": " + recovery);
      }
      Map<Integer, Integer> sendsAtRecovery = sends(names);
      say.accept("[4/5] the guests run on for " + after.toSeconds() + " s; sends per guest now " + sendsAtRecovery);
      Thread.sleep(after.toMillis());
      Map<Integer, Integer> sendsAtEnd = sends(names);

      say.accept("[5/5] every process stopped; reading each guest's disk and judging its records");
      for (Map.Entry<Integer, String> e : names.entrySet()) disks.put(e.getKey(), topDisk(libvirt, e.getValue()));
      cluster.down(Duration.ofSeconds(20));
      // The agents destroyed their guests as they stopped; one killed after the grace may have left a job running.
      for (String name : names.values()) destroyWhenIdle(libvirt, name);
      Map<Integer, List<GuestRecords.Entry>> histories = new TreeMap<>();
      for (Map.Entry<Integer, Path> e : disks.entrySet()) {
        List<GuestRecords.Entry> h = new ArrayList<>();
        for (GuestRecords.Record r : LabGuest.readDiskRecords(e.getValue())) h.add(r.entry());
        histories.put(e.getKey(), h);
      }
      GuestVerdict.Result verdict = GuestVerdict.judge(histories);
      Path merged = dir.resolve("events.jsonl");
      try (java.io.Writer w = Files.newBufferedWriter(merged, StandardCharsets.UTF_8)) {
        MergedEventLog.write(cluster.eventFiles(), w);
      }
      List<RecoveryTimes.Kill> kills = RecoveryTimes.of(merged);
      double detection = kills.isEmpty() ? Double.NaN : kills.get(0).detection();
      double recovered = kills.isEmpty() ? Double.NaN : kills.get(0).recovery();
      int snapshots = 0;
      int untaken = 0;
      List<String> heldBy = new ArrayList<>();
      List<Long> nicWaits = new ArrayList<>();
      for (String line : Files.readAllLines(merged, StandardCharsets.UTF_8)) {
        if (line.contains("\"event\":\"frames_untaken_at_cut\"")) untaken++;
        if (line.contains("\"event\":\"frames_waiting_at_cut\"")) {
          JsonObject e = JsonParser.parseString(line).getAsJsonObject();
          heldBy.add("VM " + e.get("vm").getAsInt() + " (" + e.get("frames").getAsInt() + " frames) held by "
              + e.get("held_by").getAsString() + (e.has("nic_up") && !e.get("nic_up").getAsBoolean() ? ", its NIC not up"
              : ""));
        }
        if (!line.contains("\"event\":\"guest_snapshot\"")) continue;
        snapshots++;
        JsonElement wait = JsonParser.parseString(line).getAsJsonObject().get("nic_wait_ms");
        if (wait != null) nicWaits.add(wait.getAsLong());
      }
      int layers = stableDiskLayers(dir.resolve("cluster").resolve("stable").resolve("disks"));
      say.accept("      disk snapshots taken " + snapshots + "; layers left on stable storage " + layers
          + " (the rest merged as the line moved)");
      Collections.sort(nicWaits);
      // A cut waits for its guest to take what was written into its NIC: how long, and how often it went on without.
      say.accept("      the cuts' waits for their guests' NICs: " + (nicWaits.isEmpty() ? "none"
          : "p50 " + nicWaits.get(nicWaits.size() / 2) + " ms, max " + nicWaits.get(nicWaits.size() - 1) + " ms")
          + "; cuts that went on with frames not taken: " + untaken + ", with frames still waiting for a held guest: "
          + heldBy.size() + (heldBy.isEmpty() ? "" : " " + heldBy));
      Map<Integer, Path> serialLogs = new TreeMap<>();
      names.forEach((vm, name) -> serialLogs.put(vm, serial(name)));
      return new Outcome(recovery, detection, recovered, merged, verdict, sendsAtRecovery, sendsAtEnd, diskFaults(names),
          snapshots, layers, serialLogs);
    } catch (LibvirtException e) {
      throw new IOException("libvirt: " + e.getMessage(), e);
    } finally {
      cluster.down(Duration.ofSeconds(20));
      if (libvirt != null) {
        for (String name : names.values()) LabGuest.destroyIfRunning(libvirt, name); // what a failed run left
        try {
          libvirt.close();
        } catch (LibvirtException ignored) {
          // the connection is gone with the daemon
        }
      }
    }
  }

  /** VM number → the name of its domain, whichever agent runs it. */
  private static Map<Integer, String> domainNames(ApiClient api, String group) throws IOException, InterruptedException {
    Map<Integer, String> out = new TreeMap<>();
    for (JsonElement vm : Groups.group(api, group).getAsJsonArray("vm")) {
      JsonObject v = vm.getAsJsonObject();
      out.put(v.get("number").getAsInt(), "vmqsc-" + v.get("virtualmachineid").getAsString());
    }
    return out;
  }

  private static Path serial(String name) {
    return LabGuest.guestDir().resolve("run").resolve(name + ".serial");
  }

  private static String serialText(String name) throws IOException {
    Path p = serial(name);
    return Files.exists(p) ? new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1) : "";
  }

  private static Map<Integer, Integer> count(Map<Integer, String> names, GuestRecords.Kind kind) throws IOException {
    Map<Integer, Integer> out = new LinkedHashMap<>();
    for (Map.Entry<Integer, String> e : names.entrySet()) {
      int n = 0;
      for (GuestRecords.Entry x : GuestRecords.serialEntries(serialText(e.getValue()))) if (x.kind() == kind) n++;
      out.put(e.getKey(), n);
    }
    return out;
  }

  private static Map<Integer, Integer> sends(Map<Integer, String> names) throws IOException {
    return count(names, GuestRecords.Kind.SEND);
  }

  private static Map<Integer, Integer> receipts(Map<Integer, String> names) throws IOException {
    return count(names, GuestRecords.Kind.RECV);
  }

  private static void awaitReceipts(Map<Integer, String> names, int each, Duration timeout) throws IOException,
      InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (receipts(names).values().stream().anyMatch(n -> n < each)) {
      if (System.nanoTime() > end) throw new IOException("guests did not exchange messages: receipts " + receipts(names));
      Thread.sleep(500);
    }
  }

  /** Where the running domain's data disk is now: the top of its chain. */
  private static Path topDisk(Connect libvirt, String name) throws IOException {
    try {
      Matcher m = DISK_SOURCE.matcher(libvirt.domainLookupByName(name).getXMLDesc(0));
      if (!m.find()) throw new IOException("domain " + name + " has no disk");
      return Path.of(m.group(1));
    } catch (LibvirtException e) {
      throw new IOException("domain " + name + " does not run: " + e.getMessage(), e);
    }
  }

  /**
   * The dead host's guest goes too, once libvirt has finished the job its agent left running (a snapshot takes a
   * second): libvirtd 9.0 was seen to crash when a domain was destroyed under a snapshot job of a client that died.
   */
  private static void destroyWhenIdle(Connect libvirt, String name) throws InterruptedException {
    long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    try {
      Domain d = libvirt.domainLookupByName(name);
      while (System.nanoTime() < end && d.getJobInfo().getType() != 0) Thread.sleep(50);
    } catch (LibvirtException gone) {
      return;
    }
    LabGuest.destroyIfRunning(libvirt, name);
  }


  /**
   * Each guest's own check of its disk against its memory: its last state line after the recovery must show as
   * many records on the disk as it counts in memory.
   */
  private static List<String> diskFaults(Map<Integer, String> names) throws IOException {
    List<String> faults = new ArrayList<>();
    for (Map.Entry<Integer, String> e : names.entrySet()) {
      List<GuestRecords.State> states = GuestRecords.serialStates(serialText(e.getValue()));
      if (states.isEmpty()) {
        faults.add("VM " + e.getKey() + " printed no state line");
        continue;
      }
      GuestRecords.State last = states.get(states.size() - 1);
      if (last.memory() != last.disk()) {
        faults.add("VM " + e.getKey() + " counts " + last.memory() + " records in memory but its disk holds " + last.disk());
      }
    }
    return faults;
  }
}
