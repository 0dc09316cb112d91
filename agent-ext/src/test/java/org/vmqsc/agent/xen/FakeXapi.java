package org.vmqsc.agent.xen;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URL;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A pool master for the tests: XAPI's XML-RPC (the calls the Xen driver makes) and its raw VDI handlers over HTTP on
 * loopback, over a small model of a pool (hosts, VMs with their memory, snapshots, VDIs, VBDs, tasks), with
 * failures to inject. It answers as XAPI does, as far as the driver can tell: unknown calls are refused with
 * {@code MESSAGE_METHOD_UNKNOWN}, so a driver that calls something the model lacks fails its test.
 */
final class FakeXapi implements AutoCloseable {

  static final String USER = "root";
  static final String PASSWORD = "secret";
  static final String HOST_UUID = "6b6f2b8c-host-0002";

  /** A VM, a snapshot or a template. */
  static final class Vm {
    final String ref;
    final String name;
    final boolean isSnapshot;
    String powerState = "Running";
    byte[] memory;
    String suspendVdi = NULL;
    final List<String> vbds = new ArrayList<>();
    final List<String> snapshots = new ArrayList<>();
    String snapshotOf = NULL;
    String residentOn = NULL;

    Vm(String ref, String name, boolean isSnapshot) {
      this.ref = ref;
      this.name = name;
      this.isSnapshot = isSnapshot;
    }
  }

  static final class Vdi {
    final String ref;
    final byte[] bytes;

    Vdi(String ref, byte[] bytes) {
      this.ref = ref;
      this.bytes = bytes;
    }
  }

  record Vbd(String ref, String type, String vdi) {}

  record Net(String ref, String uuid, String name, String bridge, List<String> pifs, long mtu) {}

  record Vif(String ref, String vm, String network, String device, Map<String, Object> record) {}

  static final class Task {
    final String ref;
    String status = "pending";
    Instant created;
    Instant finished;
    String result = "";
    List<String> errorInfo = List.of();
    int pendingPolls;

    Task(String ref) {
      this.ref = ref;
    }
  }

  static final String NULL = "OpaqueRef:NULL";

  /** Bytes of a suspend VDI beyond the guest's memory: XAPI sizes it with room to spare. */
  static final int SUSPEND_SLACK = 64 * 1024;

  private final HttpServer server;
  private final AtomicInteger ids = new AtomicInteger();
  private final Map<String, String> hosts = new HashMap<>();  // ref -> uuid
  final Map<String, Vm> vms = new ConcurrentHashMap<>();
  final Map<String, Vdi> vdis = new ConcurrentHashMap<>();
  final Map<String, Vbd> vbds = new ConcurrentHashMap<>();
  private final Map<String, Task> tasks = new ConcurrentHashMap<>();
  final Map<String, Net> networks = new ConcurrentHashMap<>();
  final Map<String, Vif> vifs = new ConcurrentHashMap<>();
  private final Set<String> sessions = ConcurrentHashMap.newKeySet();
  /** What the driver called, in order (XML-RPC method names, and HTTP handlers as "GET /export_raw_vdi"). */
  final List<String> calls = java.util.Collections.synchronizedList(new ArrayList<>());
  final String isoVdi;

  // Injected failures.
  private final Map<String, List<String>> failNextTask = new ConcurrentHashMap<>();
  volatile boolean failedCheckpointLeavesSnapshot;
  volatile Duration checkpointSpan = Duration.ofSeconds(2);
  volatile int pendingPollsPerTask = 2;
  volatile boolean tasksNeverFinish;
  private final AtomicInteger unanswered = new AtomicInteger();
  private final AtomicInteger failDestroys = new AtomicInteger();
  /** Export: stop after this many bytes; abruptly (the host gone) or as a clean but short stream. */
  volatile long exportCutAfter = -1;
  volatile boolean exportCutAbrupt;
  volatile int importStatus = 200;
  private final AtomicInteger expireHttpSessions = new AtomicInteger();

  static {
    // Answers in one segment: without it each call waits out the client's delayed acknowledgement (40 ms here).
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  FakeXapi() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::handle);
    server.start();
    hosts.put("OpaqueRef:host-1", "6b6f2b8c-host-0001");
    hosts.put("OpaqueRef:host-2", HOST_UUID);
    isoVdi = newVdi(new byte[4096]).ref;
  }

  URL url() throws IOException {
    return new URL("http://127.0.0.1:" + server.getAddress().getPort() + "/");
  }

  /** A running VM on host 1 with a disk and a CD drive, its memory {@code memory}. */
  synchronized Vm addRunningVm(String name, byte[] memory) {
    Vm vm = new Vm(ref("VM"), name, false);
    vm.memory = memory.clone();
    vm.residentOn = "OpaqueRef:host-1";
    vm.vbds.add(newVbd("Disk", newVdi(new byte[8192]).ref));
    vm.vbds.add(newVbd("CD", isoVdi));
    vms.put(vm.ref, vm);
    return vm;
  }

  /**
   * A network; {@code withPif} gives it a physical interface (frames leave the host). Its MTU is 1450, what the relay
   * network is given so that its frames fit in VXLAN on a 1500-byte link.
   */
  synchronized Net addNetwork(String name, String bridge, boolean withPif) {
    return addNetwork(name, bridge, withPif, 1450);
  }

  synchronized Net addNetwork(String name, String bridge, boolean withPif, long mtu) {
    String ref = ref("network");
    Net net = new Net(ref, ref.replace("OpaqueRef:", "uuid-"), name, bridge,
        withPif ? List.of(ref("PIF")) : List.of(), mtu);
    networks.put(net.ref(), net);
    return net;
  }

  List<Vif> vifsOf(Vm vm) {
    return vifs.values().stream().filter(v -> v.vm().equals(vm.ref)).toList();
  }

  Vm vmNamed(String name) {
    return vms.values().stream().filter(v -> v.name.equals(name) && !v.isSnapshot).findFirst().orElseThrow();
  }

  String hostUuidOf(Vm vm) {
    return hosts.get(vm.residentOn);
  }

  long snapshotCount() {
    return vms.values().stream().filter(v -> v.isSnapshot).count();
  }

  // Fault injection.

  void failNextTask(String method, String... errorDescription) {
    failNextTask.put(method, List.of(errorDescription));
  }

  void expireSessions() {
    sessions.clear();
  }

  /** The next HTTP request to a VDI handler finds the session expired (HTTP 401). */
  void expireNextHttpSession() {
    expireHttpSessions.incrementAndGet();
  }

  /** The next {@code n} XML-RPC requests get no answer: the connection closes (the master unreachable). */
  void dropNextCalls(int n) {
    unanswered.set(n);
  }

  /** The next {@code n} {@code VM.destroy} calls fail as if the SR were busy. */
  void failNextDestroys(int n) {
    failDestroys.set(n);
  }

  // HTTP.

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      if (path.equals("/export_raw_vdi") || path.equals("/import_raw_vdi")) {
        calls.add(exchange.getRequestMethod() + " " + path);
        handleVdi(exchange, path);
        return;
      }
      byte[] body = exchange.getRequestBody().readAllBytes();
      if (unanswered.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        return;  // closing the exchange without an answer: the client sees the connection end
      }
      XmlRpcWire.Call call = XmlRpcWire.parse(body);
      calls.add(call.method());
      String answer;
      try {
        answer = XmlRpcWire.success(dispatch(call.method(), call.params()));
      } catch (XapiError e) {
        answer = XmlRpcWire.failure(e.description);
      }
      byte[] out = answer.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "text/xml");
      exchange.sendResponseHeaders(200, out.length);
      exchange.getResponseBody().write(out);
    }
  }

  private void handleVdi(HttpExchange exchange, String path) throws IOException {
    Map<String, String> query = query(exchange.getRequestURI());
    if (!sessions.contains(query.get("session_id"))
        || expireHttpSessions.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      exchange.sendResponseHeaders(401, -1);
      return;
    }
    Vdi vdi = vdis.get(query.get("vdi"));
    if (vdi == null || !"raw".equals(query.get("format"))) {
      exchange.sendResponseHeaders(404, -1);
      return;
    }
    if (path.equals("/import_raw_vdi")) {
      byte[] in = exchange.getRequestBody().readAllBytes();
      if (importStatus != 200) {
        exchange.sendResponseHeaders(importStatus, -1);
        return;
      }
      synchronized (this) {
        Arrays.fill(vdi.bytes, (byte) 0);
        System.arraycopy(in, 0, vdi.bytes, 0, Math.min(in.length, vdi.bytes.length));
      }
      exchange.sendResponseHeaders(200, -1);
      return;
    }
    long cut = exportCutAfter;
    if (cut < 0) {
      exchange.sendResponseHeaders(200, vdi.bytes.length);
      exchange.getResponseBody().write(vdi.bytes);
    } else if (exportCutAbrupt) {
      // Announces the whole VDI, sends part of it, and the connection dies: the host serving it is gone.
      exchange.sendResponseHeaders(200, vdi.bytes.length);
      OutputStream out = exchange.getResponseBody();
      out.write(vdi.bytes, 0, (int) cut);
      out.flush();
      // closing the exchange now, short of the announced length, drops the connection
    } else {
      // No length announced, a clean end after part of it: a truncated export.
      exchange.sendResponseHeaders(200, 0);
      exchange.getResponseBody().write(vdi.bytes, 0, (int) cut);
    }
  }

  private static Map<String, String> query(URI uri) {
    Map<String, String> out = new HashMap<>();
    for (String pair : uri.getRawQuery().split("&")) {
      int eq = pair.indexOf('=');
      out.put(pair.substring(0, eq), URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
    }
    return out;
  }

  // XML-RPC.

  private static final class XapiError extends Exception {
    final List<String> description;

    XapiError(String... description) {
      super(String.join(" ", description));
      this.description = List.of(description);
    }
  }

  private synchronized Object dispatch(String method, List<Object> p) throws XapiError {
    if (method.equals("session.login_with_password")) {
      if (!USER.equals(p.get(0)) || !PASSWORD.equals(p.get(1))) {
        throw new XapiError("SESSION_AUTHENTICATION_FAILED", (String) p.get(0), "Authentication failure");
      }
      String session = ref("session");
      sessions.add(session);
      return session;
    }
    String session = (String) p.get(0);
    if (!sessions.contains(session)) {
      throw new XapiError("SESSION_INVALID", session);
    }
    switch (method) {
      case "session.logout":
        sessions.remove(session);
        return "";
      case "session.get_this_host":
        return "OpaqueRef:host-1";
      case "host.get_API_version_major":
        return 2L;
      case "host.get_API_version_minor":
        return 16L;
      case "host.get_by_uuid":
        return hosts.entrySet().stream().filter(e -> e.getValue().equals(p.get(1))).map(Map.Entry::getKey)
            .findFirst().orElseThrow(() -> new XapiError("UUID_INVALID", "host", (String) p.get(1)));
      case "VM.get_by_name_label": {
        List<Object> refs = new ArrayList<>();
        vms.values().stream().filter(v -> v.name.equals(p.get(1))).forEach(v -> refs.add(v.ref));
        return refs;
      }
      case "VM.get_is_a_snapshot":
        return vm(p.get(1)).isSnapshot;
      case "VM.get_is_a_template":
        return vm(p.get(1)).isSnapshot;  // XAPI marks snapshots as templates too
      case "VM.get_power_state":
        return vm(p.get(1)).powerState;
      case "VM.get_name_label":
        return vm(p.get(1)).name;
      case "VM.get_suspend_VDI":
        return vm(p.get(1)).suspendVdi;
      case "VM.get_VBDs":
        return new ArrayList<Object>(vm(p.get(1)).vbds);
      case "VM.get_snapshots":
        return new ArrayList<Object>(vm(p.get(1)).snapshots);
      case "VM.destroy":
        return destroyVm(vm(p.get(1)));
      case "network.get_by_name_label": {
        List<Object> refs = new ArrayList<>();
        networks.values().stream().filter(n -> n.name().equals(p.get(1))).forEach(n -> refs.add(n.ref()));
        return refs;
      }
      case "network.get_PIFs":
        return new ArrayList<Object>(net(p.get(1)).pifs());
      case "network.get_bridge":
        return net(p.get(1)).bridge();
      case "network.get_MTU":
        return net(p.get(1)).mtu();
      case "network.get_uuid":
        return net(p.get(1)).uuid();
      case "VM.get_VIFs": {
        Vm vm = vm(p.get(1));
        return new ArrayList<Object>(vifsOf(vm).stream().map(Vif::ref).toList());
      }
      case "VM.get_allowed_VIF_devices": {
        Vm vm = vm(p.get(1));
        List<Object> free = new ArrayList<>();
        for (int d = 0; d < 7; d++) {
          String device = Integer.toString(d);
          if (vifsOf(vm).stream().noneMatch(v -> v.device().equals(device))) {
            free.add(device);
          }
        }
        return free;
      }
      case "VIF.get_network":
        return vif(p.get(1)).network();
      case "VIF.get_device":
        return vif(p.get(1)).device();
      case "VIF.create":
        return createVif(p.get(1));
      case "VBD.get_type":
        return vbd(p.get(1)).type();
      case "VBD.get_VDI":
        return vbd(p.get(1)).vdi();
      case "VDI.get_virtual_size":
        return (long) vdi(p.get(1)).bytes.length;
      case "VDI.destroy":
        vdi(p.get(1));
        if (p.get(1).equals(isoVdi)) {
          throw new XapiError("VDI_IN_USE", isoVdi, "destroy");
        }
        vdis.remove(p.get(1));
        return "";
      case "task.get_status":
        return pollStatus(task(p.get(1)));
      case "task.get_created":
        return task(p.get(1)).created;
      case "task.get_finished":
        return task(p.get(1)).finished;
      case "task.get_result":
        return task(p.get(1)).result;
      case "task.get_error_info":
        return new ArrayList<Object>(task(p.get(1)).errorInfo);
      case "task.destroy":
        tasks.remove(p.get(1));
        return "";
      case "task.cancel":
        task(p.get(1)).status = "cancelled";
        return "";
      case "Async.VM.checkpoint":
        return runTask("VM.checkpoint", () -> checkpoint(vm(p.get(1)), (String) p.get(2)));
      case "Async.VM.hard_shutdown":
        return runTask("VM.hard_shutdown", () -> hardShutdown(vm(p.get(1))));
      case "Async.VM.unpause":
        return runTask("VM.unpause", () -> unpause(vm(p.get(1))));
      case "Async.VM.start_on":
        return runTask("VM.start_on", () -> startOn(vm(p.get(1)), (String) p.get(2), (Boolean) p.get(3)));
      case "Async.VM.revert":
        return runTask("VM.revert", () -> revert(vm(p.get(1))));
      case "Async.VM.suspend":
        return runTask("VM.suspend", () -> suspend(vm(p.get(1))));
      case "Async.VM.resume_on":
        return runTask("VM.resume_on", () -> resumeOn(vm(p.get(1)), (String) p.get(2), (Boolean) p.get(3)));
      default:
        throw new XapiError("MESSAGE_METHOD_UNKNOWN", method);
    }
  }

  private interface Work {
    String run() throws XapiError;
  }

  /** Does the work at once (the model is instant) and reports it through a task that stays pending a few polls. */
  private String runTask(String method, Work work) throws XapiError {
    Task task = new Task(ref("task"));
    task.created = Instant.parse("2026-01-01T00:00:00Z").plusSeconds(ids.get() * 10L);
    task.pendingPolls = pendingPollsPerTask;
    tasks.put(task.ref, task);
    List<String> injected = failNextTask.remove(method);
    if (injected != null) {
      if (method.equals("VM.checkpoint") && failedCheckpointLeavesSnapshot) {
        work.run();  // XAPI made the snapshot, then failed (resuming the guest, say)
      }
      task.status = "failure";
      task.errorInfo = injected;
    } else {
      try {
        String result = work.run();
        task.status = "success";
        task.result = result.isEmpty() ? "" : "<value>" + result + "</value>";
      } catch (XapiError e) {
        task.status = "failure";
        task.errorInfo = e.description;
      }
    }
    task.finished = task.created.plus(method.equals("VM.checkpoint") ? checkpointSpan : Duration.ofSeconds(1));
    return task.ref;
  }

  private String pollStatus(Task task) {
    if (tasksNeverFinish && !task.status.equals("cancelled")) {
      return "pending";
    }
    if (task.pendingPolls > 0) {
      task.pendingPolls--;
      return "pending";
    }
    return task.status;
  }

  private String checkpoint(Vm vm, String label) throws XapiError {
    requireState(vm, "Running", "Paused", "Suspended");
    Vm snapshot = new Vm(ref("VM"), label, true);
    snapshot.powerState = "Suspended";
    snapshot.snapshotOf = vm.ref;
    // As XAPI does: a running VM is suspended into a new image, a suspended one's image is copied, a paused one
    // (never suspended by a checkpoint) gives a snapshot without memory.
    if (vm.powerState.equals("Running")) {
      byte[] image = new byte[vm.memory.length + SUSPEND_SLACK];
      System.arraycopy(vm.memory, 0, image, 0, vm.memory.length);
      snapshot.suspendVdi = newVdi(image).ref;
    } else if (vm.powerState.equals("Suspended")) {
      snapshot.suspendVdi = newVdi(vdi(vm.suspendVdi).bytes.clone()).ref;
    } else {
      snapshot.powerState = "Halted";
    }
    for (String vbdRef : vm.vbds) {
      Vbd vbd = vbds.get(vbdRef);
      String vdi = vbd.type().equals("Disk") ? newVdi(vdis.get(vbd.vdi()).bytes.clone()).ref : vbd.vdi();
      snapshot.vbds.add(newVbd(vbd.type(), vdi));
    }
    vms.put(snapshot.ref, snapshot);
    vm.snapshots.add(snapshot.ref);
    return snapshot.ref;
  }

  /** Checks the record as XAPI's unmarshalling would: every enum a value XAPI knows, every int64 a number. */
  @SuppressWarnings("unchecked")
  private String createVif(Object recordObject) throws XapiError {
    Map<String, Object> r = (Map<String, Object>) recordObject;
    Vm vm = vm(r.get("VM"));
    net(r.get("network"));
    String device = (String) r.get("device");
    if (vifsOf(vm).stream().anyMatch(v -> v.device().equals(device))) {
      throw new XapiError("DEVICE_ALREADY_EXISTS", device);
    }
    for (String field : List.of("MTU", "status_code")) {
      try {
        Long.parseLong((String) r.get(field));
      } catch (RuntimeException e) {
        throw new XapiError("FIELD_TYPE_ERROR", field);
      }
    }
    if (!List.of("network_default", "locked", "unlocked", "disabled").contains(r.get("locking_mode"))) {
      throw new XapiError("FIELD_TYPE_ERROR", "locking_mode");
    }
    for (String field : List.of("ipv4_configuration_mode", "ipv6_configuration_mode")) {
      if (!List.of("None", "Static").contains(r.get(field))) {
        throw new XapiError("FIELD_TYPE_ERROR", field);
      }
    }
    Vif vif = new Vif(ref("VIF"), vm.ref, (String) r.get("network"), device, r);
    vifs.put(vif.ref(), vif);
    return vif.ref();
  }

  private String hardShutdown(Vm vm) throws XapiError {
    requireState(vm, "Running", "Paused", "Suspended");
    vm.powerState = "Halted";
    vm.residentOn = NULL;
    vm.memory = new byte[vm.memory.length];
    if (!vm.suspendVdi.equals(NULL)) {
      vdis.remove(vm.suspendVdi);
      vm.suspendVdi = NULL;
    }
    return "";
  }

  private String unpause(Vm vm) throws XapiError {
    requireState(vm, "Paused");
    vm.powerState = "Running";
    return "";
  }

  private String startOn(Vm vm, String host, boolean paused) throws XapiError {
    requireState(vm, "Halted");
    vm.powerState = paused ? "Paused" : "Running";
    vm.residentOn = host;
    vm.memory = new byte[vm.memory.length];  // a fresh boot
    return "";
  }

  /** The VM takes the snapshot's state: suspended with a copy of its memory image, its disks those of the snapshot. */
  private String revert(Vm snapshot) throws XapiError {
    if (!snapshot.isSnapshot) {
      throw new XapiError("ONLY_REVERT_SNAPSHOT");
    }
    Vm vm = vm(snapshot.snapshotOf);
    requireState(vm, "Halted");
    vm.powerState = "Suspended";
    vm.suspendVdi = newVdi(vdi(snapshot.suspendVdi).bytes.clone()).ref;
    return "";
  }

  /** The guest's memory goes into a new suspend VDI and its domain ends. */
  private String suspend(Vm vm) throws XapiError {
    requireState(vm, "Running");
    byte[] image = new byte[vm.memory.length + SUSPEND_SLACK];
    System.arraycopy(vm.memory, 0, image, 0, vm.memory.length);
    vm.suspendVdi = newVdi(image).ref;
    vm.memory = new byte[vm.memory.length];
    vm.powerState = "Suspended";
    vm.residentOn = NULL;
    return "";
  }

  private String resumeOn(Vm vm, String host, boolean paused) throws XapiError {
    requireState(vm, "Suspended");
    byte[] image = vdi(vm.suspendVdi).bytes;
    vm.memory = Arrays.copyOf(image, vm.memory.length);
    vdis.remove(vm.suspendVdi);
    vm.suspendVdi = NULL;
    vm.powerState = paused ? "Paused" : "Running";
    vm.residentOn = host;
    return "";
  }

  private String destroyVm(Vm vm) throws XapiError {
    if (failDestroys.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      throw new XapiError("SR_BACKEND_FAILURE_46", "", "The VDI is not available");
    }
    requireState(vm, "Halted", "Suspended");
    vms.remove(vm.ref);
    for (String vbd : vm.vbds) {
      vbds.remove(vbd);  // VBDs go with their VM; VDIs stay until destroyed
    }
    if (!vm.snapshotOf.equals(NULL) && vms.containsKey(vm.snapshotOf)) {
      vms.get(vm.snapshotOf).snapshots.remove(vm.ref);
    }
    return "";
  }

  private static void requireState(Vm vm, String... allowed) throws XapiError {
    if (!Arrays.asList(allowed).contains(vm.powerState)) {
      throw new XapiError("VM_BAD_POWER_STATE", vm.ref, String.join(",", allowed).toLowerCase(),
          vm.powerState.toLowerCase());
    }
  }

  private Vm vm(Object ref) throws XapiError {
    Vm vm = vms.get(ref);
    if (vm == null) {
      throw new XapiError("HANDLE_INVALID", "VM", String.valueOf(ref));
    }
    return vm;
  }

  private Vdi vdi(Object ref) throws XapiError {
    Vdi vdi = vdis.get(ref);
    if (vdi == null) {
      throw new XapiError("HANDLE_INVALID", "VDI", String.valueOf(ref));
    }
    return vdi;
  }

  private Vbd vbd(Object ref) throws XapiError {
    Vbd vbd = vbds.get(ref);
    if (vbd == null) {
      throw new XapiError("HANDLE_INVALID", "VBD", String.valueOf(ref));
    }
    return vbd;
  }

  private Net net(Object ref) throws XapiError {
    Net net = networks.get(ref);
    if (net == null) {
      throw new XapiError("HANDLE_INVALID", "network", String.valueOf(ref));
    }
    return net;
  }

  private Vif vif(Object ref) throws XapiError {
    Vif vif = vifs.get(ref);
    if (vif == null) {
      throw new XapiError("HANDLE_INVALID", "VIF", String.valueOf(ref));
    }
    return vif;
  }

  private Task task(Object ref) throws XapiError {
    Task task = tasks.get(ref);
    if (task == null) {
      throw new XapiError("HANDLE_INVALID", "task", String.valueOf(ref));
    }
    return task;
  }

  private Vdi newVdi(byte[] bytes) {
    Vdi vdi = new Vdi(ref("VDI"), bytes);
    vdis.put(vdi.ref, vdi);
    return vdi;
  }

  private String newVbd(String type, String vdi) {
    Vbd vbd = new Vbd(ref("VBD"), type, vdi);
    vbds.put(vbd.ref(), vbd);
    return vbd.ref();
  }

  private String ref(String kind) {
    return "OpaqueRef:" + kind.toLowerCase() + "-" + ids.incrementAndGet();
  }

  @Override public void close() {
    server.stop(0);
  }
}
