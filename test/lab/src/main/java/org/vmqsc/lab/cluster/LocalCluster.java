package org.vmqsc.lab.cluster;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.vmqsc.agent.process.EventLog;
import org.vmqsc.agent.wire.Wire;
import org.vmqsc.server.api.ApiClient;
import org.vmqsc.server.api.ApiKeys;

/**
 * A standalone cluster on this machine: one manager and its agents as separate processes of this same program,
 * started, watched and killed from here. Its folder holds everything: the manager's home (embedded database, key
 * pair), each agent's home, the shared stable storage, each process's log and event file, the launcher's own event
 * file (what it did to the processes: {@code process_killed} ...), and {@code cluster.json}, so a later
 * {@code ./vmqsc cluster ...} finds the processes again.
 */
public final class LocalCluster {

  /**
   * How the processes run.
   *
   * @param kvm the agents run real QEMU guests under libvirt ({@code ./vmqsc agent --kvm}), not simulated ones
   */
  public record Settings(int agents, long leaseMs, long heartbeatMs, double guestMessages, int guestMemoryMib,
                         boolean kvm, int keptBehindLine, long sweepGraceS) {
    public Settings {
      if (agents < 1 || agents > 16) throw new IllegalArgumentException("--agents must be 1..16, got " + agents);
      if (sweepGraceS == 0) sweepGraceS = 120;  // a cluster.json written before the setting
    }

    public Settings(int agents, long leaseMs, long heartbeatMs, double guestMessages, int guestMemoryMib,
                    boolean kvm) {
      this(agents, leaseMs, heartbeatMs, guestMessages, guestMemoryMib, kvm, 0, 120);
    }

    /** Simulated guests. */
    public Settings(int agents, long leaseMs, long heartbeatMs, double guestMessages, int guestMemoryMib) {
      this(agents, leaseMs, heartbeatMs, guestMessages, guestMemoryMib, false);
    }
  }

  /**
   * One process of the cluster, as {@code cluster.json} keeps it. {@code startedMs} tells it from a later process
   * that got the same pid (0: not known, from a cluster folder written before it was recorded).
   */
  public record Node(String name, long pid, String url, String hostUuid, long startedMs) {}

  private record State(Path dir, int managerPort, Settings settings, Node manager, Map<String, Node> agents) {}

  private static final Gson GSON = new GsonBuilder().setPrettyPrinting()
      .registerTypeHierarchyAdapter(Path.class, new com.google.gson.TypeAdapter<Path>() {
        @Override public void write(com.google.gson.stream.JsonWriter out, Path p) throws IOException {
          out.value(p.toString());
        }

        @Override public Path read(com.google.gson.stream.JsonReader in) throws IOException {
          return Path.of(in.nextString());
        }
      }).create();
  private static final Pattern AGENT_READY = Pattern.compile("agent (\\S+): host (\\S+), orders on (\\S+),");

  private final Path dir;
  private final Settings settings;
  private final int managerPort;
  private Node manager;
  private final Map<String, Node> agents = new LinkedHashMap<>();
  /** Opened on first use: a command that only reads the cluster writes nothing. */
  private EventLog launcherEvents;
  /** Per process name, the length of its log when it was last launched. */
  private final Map<String, Long> logStart = new java.util.HashMap<>();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

  private LocalCluster(Path dir, Settings settings, int managerPort) throws IOException {
    this.dir = dir.toAbsolutePath();
    this.settings = settings;
    this.managerPort = managerPort;
  }

  /** Starts a manager and {@code settings.agents()} agents in {@code dir} (made empty first); waits until all run. */
  public static LocalCluster start(Path dir, Settings settings, Consumer<String> progress) throws IOException,
      InterruptedException {
    if (Files.exists(dir.resolve("cluster.json"))) {
      LocalCluster old = attach(dir);
      if (old.anyAlive()) {
        throw new IllegalArgumentException("a cluster already runs in " + dir + " (manager pid " + old.manager().pid()
            + "): ./vmqsc cluster down --dir " + dir + " first");
      }
    } else if (Files.isDirectory(dir)) {
      try (var entries = Files.list(dir)) {
        if (entries.findAny().isPresent()) {
          // The folder is emptied first: only a cluster's own folder may be.
          throw new IllegalArgumentException(dir + " is not empty and holds no cluster.json: name a new folder");
        }
      }
    }
    deleteTree(dir);
    Files.createDirectories(dir.resolve("events"));
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    LocalCluster c = new LocalCluster(dir, settings, port);
    c.save(); // from here on the folder is a cluster's: a failed start can be retried in it
    try {
      c.startManager(progress);
      for (int i = 1; i <= settings.agents(); i++) c.startAgent("h" + i, progress);
      c.save();
      c.awaitAgents(progress);
    } catch (IOException | InterruptedException | RuntimeException e) {
      c.down(Duration.ofSeconds(5)); // nothing this start launched outlives it
      throw e;
    }
    return c;
  }

  /** The cluster a previous command started in {@code dir}. */
  public static LocalCluster attach(Path dir) throws IOException {
    Path file = dir.resolve("cluster.json");
    if (!Files.exists(file)) throw new IllegalArgumentException("no cluster in " + dir + ": ./vmqsc cluster up first");
    State s = GSON.fromJson(Files.readString(file), State.class);
    LocalCluster c = new LocalCluster(dir, s.settings(), s.managerPort());
    c.manager = s.manager();
    c.agents.putAll(s.agents());
    return c;
  }

  // ---- processes ---------------------------------------------------------------------------------------------

  public void startManager(Consumer<String> progress) throws IOException, InterruptedException {
    progress.accept("starting the manager (embedded MariaDB) ...");
    Process p = launch("manager", List.of("manager", "--port", Integer.toString(managerPort),
        "--home", dir.resolve("manager").toString(),
        "--events", eventsFile("manager").toString(),
        "--lease-ms", Long.toString(settings.leaseMs()), "--heartbeat-ms", Long.toString(settings.heartbeatMs()),
        "--guest-messages", Double.toString(settings.guestMessages()),
        "--guest-memory-mib", Integer.toString(settings.guestMemoryMib()),
        "--kept-behind-line", Integer.toString(settings.keptBehindLine())));
    String ready = awaitLine(p, "manager", "manager: listening on ", Duration.ofSeconds(90));
    manager = new Node("manager", p.pid(), ready.replaceFirst(".*listening on (\\S+).*", "$1"), null, startedMs(p));
    launcherEvents().emit("process_started", "process", "manager", "pid", p.pid());
    save();
  }

  public void startAgent(String name, Consumer<String> progress) throws IOException, InterruptedException {
    progress.accept("starting agent " + name + " ...");
    List<String> args = new ArrayList<>(List.of("agent", "--name", name,
        "--manager", "http://127.0.0.1:" + managerPort + "/",
        "--manager-home", dir.resolve("manager").toString(),
        "--home", dir.resolve("agents").resolve(name).toString(),
        "--stable", dir.resolve("stable").toString(),
        "--events", eventsFile("agent-" + name).toString(),
        "--sweep-grace-s", Long.toString(settings.sweepGraceS())));
    if (settings.kvm()) args.add("--kvm");
    Process p = launch(name, args);
    Matcher m = AGENT_READY.matcher(awaitLine(p, name, "agent " + name + ": host ", Duration.ofSeconds(60)));
    if (!m.find()) throw new IOException("agent " + name + " printed an unexpected ready line");
    agents.put(name, new Node(name, p.pid(), m.group(3), m.group(2), startedMs(p)));
    launcherEvents().emit("process_started", "process", "agent " + name, "pid", p.pid(), "host", m.group(2));
    save();
  }

  /** Starts a killed agent again: the same home, so the same host uuid; the manager sees a new process. */
  public void restartAgent(String name, Consumer<String> progress) throws IOException, InterruptedException {
    Node a = agent(name);
    if (alive(a)) throw new IllegalArgumentException("agent " + name + " still runs (pid " + a.pid() + ")");
    if (!alive(manager)) throw new IllegalArgumentException("the manager does not run");
    startAgent(name, progress);
  }

  /** SIGKILL: the host dies with everything it held in memory. */
  public void killAgent(String name) throws IOException {
    Node a = agent(name);
    signal(a.pid(), "KILL");
    awaitDeath(List.of(a.pid()));
    // Stamped once the process is gone: everything it wrote comes before this line, nothing after it.
    launcherEvents().emit("process_killed", "process", "agent " + name, "pid", a.pid(), "host", a.hostUuid());
    agents.put(name, new Node(name, -1, a.url(), a.hostUuid(), 0));
    save();
  }

  /** SIGKILL to the manager and its embedded database: its machine dies; a restart recovers the database's files. */
  public void killManager() throws IOException {
    List<Long> pids = new ArrayList<>(List.of(manager.pid()));
    pids.addAll(descendants(manager.pid()));
    for (long pid : pids) signal(pid, "KILL");
    awaitDeath(pids);
    launcherEvents().emit("process_killed", "process", "manager", "pid", manager.pid());
    manager = new Node("manager", -1, manager.url(), null, 0);
    save();
  }

  /** SIGSTOP / SIGCONT: the process is frozen (a host that stops answering) and goes on later. */
  public void freezeAgent(String name, boolean frozen) throws IOException {
    Node a = agent(name);
    launcherEvents().emit(frozen ? "process_frozen" : "process_thawed", "process", "agent " + name, "pid", a.pid(),
        "host", a.hostUuid());
    signal(a.pid(), frozen ? "STOP" : "CONT");
  }

  /** The guests of every live agent stop sending (the end of a run: everything sent can arrive). */
  public void quiesce() {
    for (Node a : agents.values()) {
      if (a.pid() < 0) continue;
      try {
        HttpRequest r = HttpRequest.newBuilder(URI.create(a.url()).resolve("v1/quiesce"))
            .timeout(Duration.ofSeconds(10)).header(Wire.TOKEN_HEADER, keys().agentToken())
            .POST(HttpRequest.BodyPublishers.ofString("{\"group\":\"\"}")).build();
        http.send(r, HttpResponse.BodyHandlers.discarding());
      } catch (IOException | InterruptedException e) {
        // a dead agent sends nothing anyway
      }
    }
  }

  /** The run is over and drained: the event log's oracle may count every message. */
  public void markDrained() throws IOException {
    launcherEvents().emit("end", "drained", true);
  }

  /** SIGTERM to every process, then SIGKILL to what is left after {@code grace}. */
  public void down(Duration grace) throws IOException, InterruptedException {
    List<Long> pids = new ArrayList<>(); // only the cluster's own: a pid reused since is someone else's
    for (Node a : agents.values()) if (alive(a)) pids.add(a.pid());
    if (alive(manager)) pids.add(manager.pid());
    List<Long> children = new ArrayList<>(); // the manager's embedded database, if the manager is killed below
    for (long pid : pids) children.addAll(descendants(pid));
    for (long pid : pids) ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
    long deadline = System.nanoTime() + grace.toNanos();
    for (long pid : pids) {
      var h = ProcessHandle.of(pid);
      while (h.isPresent() && h.get().isAlive() && System.nanoTime() < deadline) Thread.sleep(50);
      h.ifPresent(ProcessHandle::destroyForcibly);
    }
    for (long pid : children) ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    launcherEvents().emit("cluster_down");
    launcherEvents().close();
  }

  public boolean anyAlive() {
    if (alive(manager)) return true;
    for (Node a : agents.values()) if (alive(a)) return true;
    return false;
  }

  // ---- what a command needs ------------------------------------------------------------------------------------

  public ApiClient api() throws IOException {
    return new ApiClient(URI.create(manager.url()), keys());
  }

  public ApiKeys keys() throws IOException {
    return ApiKeys.loadFrom(dir.resolve("manager"));
  }

  public Path dir() {
    return dir;
  }

  public Map<String, Node> agents() {
    return Map.copyOf(agents);
  }

  public Node agent(String name) {
    Node a = agents.get(name);
    if (a == null) throw new IllegalArgumentException("no agent " + name + " in this cluster; it has " + agents.keySet());
    return a;
  }

  public Node manager() {
    return manager;
  }

  /** Every process's event file, the launcher's included. */
  public List<Path> eventFiles() throws IOException {
    try (var files = Files.list(dir.resolve("events"))) {
      return files.filter(f -> f.toString().endsWith(".jsonl")).sorted().toList();
    }
  }

  /** The launcher's event file; each command that attaches writes one of its own (one process per file). */
  public synchronized EventLog launcherEvents() throws IOException {
    if (launcherEvents == null) launcherEvents = EventLog.open(eventsFile("launcher"), "launcher");
    return launcherEvents;
  }

  public static boolean alive(long pid) {
    return pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  /**
   * Whether the cluster's process {@code node} still runs. Pids are reused: a cluster folder left from a run long
   * ago (a reboot since) can name a pid some other program has now, which must neither count as the cluster nor be
   * killed by {@code down}. A process started more than a second apart from the one recorded is another.
   */
  public static boolean alive(Node node) {
    if (node == null || !alive(node.pid())) return false;
    if (node.startedMs() == 0) return true;
    return ProcessHandle.of(node.pid()).flatMap(p -> p.info().startInstant())
        .map(t -> Math.abs(t.toEpochMilli() - node.startedMs()) < 1000).orElse(true);
  }

  private static long startedMs(Process p) {
    return p.info().startInstant().map(java.time.Instant::toEpochMilli).orElse(0L);
  }

  // ---- plumbing ----------------------------------------------------------------------------------------------

  private Path eventsFile(String process) {
    // A restarted process writes a new file: each file has one process, with its pid in its header.
    Path f = dir.resolve("events").resolve(process + ".jsonl");
    for (int i = 2; Files.exists(f); i++) f = dir.resolve("events").resolve(process + "-" + i + ".jsonl");
    return f;
  }

  /**
   * The processes' JIT settings: the JVM's own by default (C1, then C2 for what runs hot). Not C1 alone: the
   * checkpoint engine names every chunk by its SHA-256, which only C2 computes with the CPU's SHA instructions
   * (8 KiB blocks, a 2-core x86 test machine: 0.09 GB/s under C1 alone, 1.4 GB/s under C2; a 16 MiB restore
   * 190-700 ms against 40 ms), and a recovery's restores are most of its time. VMQSC_PROCESS_JAVA_OPTS replaces
   * them, to compare (for example {@code -XX:TieredStopAtLevel=1}).
   */
  private static List<String> jitOptions() {
    String opts = System.getenv("VMQSC_PROCESS_JAVA_OPTS");
    if (opts == null || opts.isBlank()) return List.of();
    return List.of(opts.trim().split("\\s+"));
  }

  private Process launch(String name, List<String> args) throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    // An agent keeps its simulated guests' memory on its heap: room for eight of them (VMs gather on the agents
    // that survive kills), and for a restore's image and a checkpoint's copy.
    long heapMib = name.equals("manager") ? 384 : 384 + 8L * settings.guestMemoryMib();
    // The JVM's own collector (G1 on a machine like this), not the serial one: a simulated guest's memory is one
    // large array, a checkpoint copies it and a restore makes a new one; under the serial collector those filled
    // the old generation and full collections paused the agents for up to 0.6 s, in the middle of restores too
    // (bench recovery --kills 4: 51 full pauses, 27.7 s paused in all; with G1 none, 12.5 s).
    List<String> command = new ArrayList<>(List.of(java, "-Xmx" + heapMib + "m"));
    command.addAll(jitOptions());
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), "org.vmqsc.lab.VmqscCommand"));
    command.addAll(args);
    Path log = dir.resolve("logs").resolve(name + ".log");
    Files.createDirectories(log.getParent());
    logStart.put(name, Files.exists(log) ? Files.size(log) : 0L); // a restart appends: its ready line comes after
    return new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
  }

  private String awaitLine(Process p, String name, String prefix, Duration timeout) throws IOException,
      InterruptedException {
    Path log = dir.resolve("logs").resolve(name + ".log");
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (Files.exists(log)) {
        byte[] all = Files.readAllBytes(log);
        int from = (int) Math.min(all.length, logStart.getOrDefault(name, 0L));
        String text = new String(all, from, all.length - from, StandardCharsets.UTF_8);
        text = text.substring(0, text.lastIndexOf('\n') + 1); // whole lines only
        for (String line : text.split("\n")) {
          if (line.startsWith(prefix)) return line;
        }
      }
      if (!p.isAlive()) {
        throw new IOException(name + " exited with code " + p.exitValue() + " before it was ready; see " + log);
      }
      Thread.sleep(100);
    }
    throw new IOException(name + " was not ready after " + timeout.toSeconds() + " s; see " + log);
  }

  private void awaitAgents(Consumer<String> progress) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      JsonObject hosts = api().get("listHosts").response("listHosts");
      int active = 0;
      if (hosts.has("host")) {
        for (var h : hosts.getAsJsonArray("host")) {
          if ("ACTIVE".equals(h.getAsJsonObject().get("leasestate").getAsString())) active++;
        }
      }
      if (active >= settings.agents()) {
        progress.accept(active + " agents hold their leases");
        return;
      }
      Thread.sleep(200);
    }
    throw new IOException("the agents did not all register within 30 s; see " + dir.resolve("logs"));
  }

  private void save() throws IOException {
    Files.writeString(dir.resolve("cluster.json"), GSON.toJson(new State(dir, managerPort, settings, manager, agents)));
  }

  private static List<Long> descendants(long pid) {
    return ProcessHandle.of(pid).map(h -> h.descendants().map(ProcessHandle::pid).toList()).orElse(List.of());
  }

  /** Waits (up to 10 s) until the processes are gone: a SIGKILL is delivered asynchronously. */
  private static void awaitDeath(List<Long> pids) throws IOException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    for (long pid : pids) {
      while (alive(pid) && !zombie(pid)) {
        if (System.nanoTime() > deadline) throw new IOException("process " + pid + " survived SIGKILL for 10 s");
        try {
          Thread.sleep(5);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted", e);
        }
      }
    }
  }

  /** Dead, not reaped yet (an orphan whose new parent does not reap): it holds no file or port any more. */
  private static boolean zombie(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      return stat.substring(stat.lastIndexOf(')') + 1).trim().startsWith("Z");
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private static void signal(long pid, String signal) throws IOException {
    if (pid <= 0) return;
    try {
      int code = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).start().waitFor();
      if (code != 0 && alive(pid)) throw new IOException("kill -" + signal + " " + pid + " failed");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) return;
    try (var all = Files.walk(root)) {
      for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
    }
  }
}
