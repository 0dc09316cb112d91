package org.vmqsc.agent.kvm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;
import org.libvirt.jna.Libvirt;

/**
 * The tiny real guest of the test tier and the KVM benchmark: a Debian cloud kernel with a busybox init (built by
 * {@code .ci/setup-kvm.sh}) under QEMU's software emulation. It fills part of its memory with random data, rewrites
 * a "hot" part of it in place every tick, and prints {@code GUEST-TICK <n>} on its serial port, which is a file
 * here: the counter tells from which moment a restored guest continues.
 *
 * <p>Optionally it also has a virtio NIC whose backend is a host process ({@link Nic}), a qcow2 data disk
 * ({@link DataDisk}), and runs the messaging program as guest {@code index} of a group ({@link Messaging}): guest
 * {@code i} has the address {@link #ipOf ipOf(i)} and the MAC {@link #macOf macOf(i)}, sends numbered UDP
 * messages round robin to the others, and records every send and receipt on its disk and its serial port
 * ({@link GuestRecords}).
 */
public final class LabGuest implements AutoCloseable {

  public static final String URI = "qemu:///system";
  // Whole lines only: a guest destroyed mid-line leaves half of one, which must not read as a smaller number.
  private static final Pattern TICK = Pattern.compile("GUEST-TICK (\\d+)\\r?\\n");
  // Keeps the callback reachable for as long as libvirt may call it.
  private static final Libvirt.VirErrorCallback QUIET = (userData, error) -> { };

  /** The UDP port the messaging program listens on in every guest. */
  public static final int MESSAGE_PORT = 7700;
  /** Size of the data disk LabGuest creates. */
  public static final int DATA_DISK_MIB = 64;
  private static final int MAX_GROUP = 254;

  /**
   * Shape of the guest. {@code nic}, {@code messaging} and {@code dataDisk} are optional (null: none); the
   * {@code with…} methods add them.
   */
  public record Spec(String name, int memoryMiB, int fillMiB, int hotKiB, double tickSeconds, Nic nic,
      Messaging messaging, DataDisk dataDisk, FreedMemory freed) {

    public Spec {
      if (nic != null && messaging != null && !nic.mac().equalsIgnoreCase(macOf(messaging.index()))) {
        throw new IllegalArgumentException("guest " + messaging.index() + " must have MAC " + macOf(messaging.index())
            + " (its peers' neighbour entries say so), not " + nic.mac());
      }
    }

    /** A guest with no NIC, no data disk and no messaging. */
    public Spec(String name, int memoryMiB, int fillMiB, int hotKiB, double tickSeconds) {
      this(name, memoryMiB, fillMiB, hotKiB, tickSeconds, null, null, null, null);
    }

    public Spec withNic(Nic nic) {
      return new Spec(name, memoryMiB, fillMiB, hotKiB, tickSeconds, nic, messaging, dataDisk, freed);
    }

    public Spec withMessaging(Messaging messaging) {
      return new Spec(name, memoryMiB, fillMiB, hotKiB, tickSeconds, nic, messaging, dataDisk, freed);
    }

    public Spec withDataDisk(DataDisk dataDisk) {
      return new Spec(name, memoryMiB, fillMiB, hotKiB, tickSeconds, nic, messaging, dataDisk, freed);
    }

    public Spec withFreedMemory(FreedMemory freed) {
      return new Spec(name, memoryMiB, fillMiB, hotKiB, tickSeconds, nic, messaging, dataDisk, freed);
    }
  }

  /**
   * {@code mib} MiB the guest fills with random data and frees again before it is ready, and whether its virtio
   * balloon reports freed pages to the host (QEMU's free page reporting: QEMU then discards them, so they read as
   * zeros and no checkpoint stores them).
   */
  public record FreedMemory(int mib, boolean reporting) {
    public FreedMemory {
      if (mib <= 0) throw new IllegalArgumentException("freed memory must be positive, got " + mib + " MiB");
    }
  }

  /**
   * A virtio NIC whose backend is a host process: QEMU binds 127.0.0.1:{@code localPort} and exchanges each
   * Ethernet frame as one UDP datagram with 127.0.0.1:{@code relayPort}. Or, with {@code bridge} set (ports 0), a
   * port of that Linux bridge, as a CloudStack KVM guest's NIC on a bridged network is.
   */
  public record Nic(String mac, int localPort, int relayPort, String bridge) {
    public Nic {
      if (!mac.matches("(?i)[0-9a-f]{2}(:[0-9a-f]{2}){5}")) {
        throw new IllegalArgumentException("not a MAC address: " + mac);
      }
      if (bridge == null
          && (localPort <= 0 || localPort > 65535 || relayPort <= 0 || relayPort > 65535 || localPort == relayPort)) {
        throw new IllegalArgumentException("bad UDP ports: local " + localPort + ", relay " + relayPort);
      }
    }

    public Nic(String mac, int localPort, int relayPort) {
      this(mac, localPort, relayPort, null);
    }

    /** The NIC of group member {@code index}, with the MAC its peers expect. */
    public static Nic forIndex(int index, int localPort, int relayPort) {
      return new Nic(macOf(index), localPort, relayPort);
    }

    /** The NIC of group member {@code index} on the Linux bridge {@code bridge}, with the MAC its peers expect. */
    public static Nic onBridge(int index, String bridge) {
      return new Nic(macOf(index), 0, 0, bridge);
    }
  }

  /** Guest {@code index} of a group of {@code group} guests (0 .. group-1), sending {@code rate} messages a second. */
  public record Messaging(int index, int group, double rate) {
    public Messaging {
      if (group < 1 || group > MAX_GROUP || index < 0 || index >= group) {
        throw new IllegalArgumentException("guest " + index + " of a group of " + group + " (at most " + MAX_GROUP
            + ")");
      }
      if (!(rate > 0 && rate <= 1000)) {
        throw new IllegalArgumentException("rate " + rate + " messages/s");
      }
    }
  }

  /**
   * The guest's data disk (virtio, vda): a fresh {@value #DATA_DISK_MIB} MiB qcow2 that {@link #start} creates
   * ({@code image} null: next to the serial log), or an existing image, used as it is.
   */
  public record DataDisk(Path image, boolean create) {
    public DataDisk {
      if (image == null && !create) {
        throw new IllegalArgumentException("an existing data disk needs its path");
      }
    }

    /** A fresh disk next to the guest's serial log, replacing any left from an earlier guest of the same name. */
    public static DataDisk fresh() {
      return new DataDisk(null, true);
    }

    /** A fresh disk at {@code image}, replacing any file there. */
    public static DataDisk fresh(Path image) {
      return new DataDisk(image, true);
    }

    /** An existing qcow2 image, e.g. the disk of a guest this one continues. */
    public static DataDisk existing(Path image) {
      return new DataDisk(image, false);
    }
  }

  /** The MAC of group member {@code index}: {@code 52:54:00:77:00:xx}, {@code xx} the index in hex. */
  public static String macOf(int index) {
    checkIndex(index);
    return String.format(Locale.ROOT, "52:54:00:77:00:%02x", index);
  }

  /** The IPv4 address of group member {@code index}: 10.77.0.(index+1), in a /24. */
  public static String ipOf(int index) {
    checkIndex(index);
    return "10.77.0." + (index + 1);
  }

  private static void checkIndex(int index) {
    if (index < 0 || index >= MAX_GROUP) {
      throw new IllegalArgumentException("group member index " + index + " (0.." + (MAX_GROUP - 1) + ")");
    }
  }

  private final Connect connect;
  private final Spec spec;
  private final Path serialLog;
  private final Path dataDisk;

  private LabGuest(Connect connect, Spec spec, Path serialLog, Path dataDisk) {
    this.connect = connect;
    this.spec = spec;
    this.serialLog = serialLog;
    this.dataDisk = dataDisk;
  }

  /** Where the setup script put the kernel and initramfs. */
  public static Path guestDir() {
    String dir = System.getenv("VMQSC_GUEST_DIR");
    return Path.of(dir != null && !dir.isBlank() ? dir : "/var/tmp/vmqsc-guest");
  }

  /** Why real guests cannot run here, or empty when they can. One line, for a test skip or a benchmark refusal. */
  public static Optional<String> unavailableReason() {
    Path dir = guestDir();
    if (!Files.isRegularFile(dir.resolve("vmlinuz")) || !Files.isRegularFile(dir.resolve("initrd.img"))) {
      return Optional.of("no lab guest in " + dir + " (run .ci/setup-kvm.sh as root to build it and start libvirtd)");
    }
    try {
      Connect connect = connect();
      connect.close();
      return Optional.empty();
    } catch (LinkageError e) {
      return Optional.of("libvirt is not installed (" + e.getMessage() + "); run .ci/setup-kvm.sh");
    } catch (LibvirtException e) {
      return Optional.of("cannot reach libvirtd at " + URI + " (" + e.getMessage() + "); run .ci/setup-kvm.sh");
    }
  }

  /**
   * Why guests with a NIC, a data disk and the messaging program cannot run here, or empty when they can: as
   * {@link #unavailableReason()}, and the lab guest must have been built by a setup script that knows them.
   */
  public static Optional<String> messagingUnavailableReason() {
    Optional<String> reason = unavailableReason();
    if (reason.isPresent()) {
      return reason;
    }
    Path dir = guestDir();
    try {
      Path features = dir.resolve("features");
      if (!Files.isRegularFile(features) || !Files.readString(features).contains("qscmsg")
          || Files.getLastModifiedTime(features).compareTo(Files.getLastModifiedTime(dir.resolve("initrd.img"))) < 0) {
        return Optional.of("the lab guest in " + dir + " has no messaging program (rerun .ci/setup-kvm.sh as root)");
      }
    } catch (IOException e) {
      return Optional.of("cannot read " + dir + ": " + e.getMessage());
    }
    try {
      run(List.of("qemu-img", "--version"));
    } catch (IOException e) {
      return Optional.of("no qemu-img (" + e.getMessage() + "); run .ci/setup-kvm.sh");
    }
    return Optional.empty();
  }

  /** A connection to the system libvirtd, with libvirt's own stderr error printing turned off. */
  public static Connect connect() throws LibvirtException {
    Connect.setErrorCallback(QUIET);
    return new Connect(URI);
  }

  /** Starts a transient guest (it vanishes when destroyed), replacing any leftover of the same name. */
  public static LabGuest start(Connect connect, Spec spec) throws IOException {
    return start(connect, spec, xml -> xml);
  }

  /** Like {@link #start(Connect, Spec)}, from the domain XML as changed by {@code edit} (devices a test adds). */
  public static LabGuest start(Connect connect, Spec spec, UnaryOperator<String> edit) throws IOException {
    Path runDir = guestDir().resolve("run");
    Files.createDirectories(runDir);
    runDir.toFile().setExecutable(true, false);  // QEMU (user libvirt-qemu) writes the serial log in here
    runDir.toFile().setReadable(true, false);
    Path serial = runDir.resolve(spec.name() + ".serial");
    Path disk = null;
    try {
      destroyIfRunning(connect, spec.name());
      Files.deleteIfExists(serial);
      if (spec.dataDisk() != null) {
        disk = prepareDataDisk(spec.dataDisk(), runDir.resolve(spec.name() + ".data.qcow2"));
      }
      connect.domainCreateXML(edit.apply(domainXml(spec, serial, disk, qmpSocket(connect, runDir, spec.name()))), 0);
    } catch (LibvirtException e) {
      throw new IOException("could not start lab guest " + spec.name() + ": " + e.getMessage(), e);
    }
    return new LabGuest(connect, spec, serial, disk);
  }

  private static Path prepareDataDisk(DataDisk disk, Path defaultPath) throws IOException {
    Path image = (disk.image() != null ? disk.image() : defaultPath).toAbsolutePath();
    if (!disk.create()) {
      if (!Files.isRegularFile(image)) {
        throw new IOException("no data disk image " + image);
      }
      return image;
    }
    Files.deleteIfExists(image);
    run(List.of("qemu-img", "create", "-q", "-f", "qcow2", image.toString(), DATA_DISK_MIB + "M"));
    return image;
  }

  /** Runs a command to its end; its output is in the exception if it fails. */
  private static String run(List<String> command) throws IOException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output;
    try {
      output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IOException(String.join(" ", command) + " did not finish in 60 s");
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted: " + String.join(" ", command), e);
    }
    if (process.exitValue() != 0) {
      throw new IOException(String.join(" ", command) + " failed (exit " + process.exitValue() + "): "
          + output.trim());
    }
    return output;
  }

  static String domainXml(Spec spec, Path serial) {
    return domainXml(spec, serial, null);
  }

  static String domainXml(Spec spec, Path serial, Path dataDisk) {
    return domainXml(spec, serial, dataDisk, null);
  }

  /**
   * Where the guest's QEMU opens a QMP monitor of its own besides libvirt's (see {@link QmpSocket}): a folder of the
   * run folder that belongs to the user libvirt runs QEMU as (its DAC label in libvirt's capabilities); null, and no
   * second monitor, when that cannot be arranged.
   */
  static Path qmpSocket(Connect connect, Path runDir, String name) {
    try {
      Matcher label = DAC_LABEL.matcher(connect.getCapabilities());
      if (!label.find()) return null;
      Path dir = runDir.resolve("qmp");
      Files.createDirectories(dir);
      Files.setAttribute(dir, "unix:uid", Integer.parseInt(label.group(1)));
      Files.setAttribute(dir, "unix:gid", Integer.parseInt(label.group(2)));
      Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
      Path socket = dir.resolve(name + ".qmp");
      Files.deleteIfExists(socket);
      return socket;
    } catch (LibvirtException | IOException | RuntimeException e) {
      return null;
    }
  }

  private static final Pattern DAC_LABEL = Pattern.compile(
      "<model>dac</model>.*?<baselabel type='(?:qemu|kvm)'>\\+(\\d+):\\+(\\d+)</baselabel>", Pattern.DOTALL);
  private static final Pattern OWN_MONITOR = Pattern.compile(
      "<qemu:commandline><qemu:arg value='-qmp'/><qemu:arg value='unix:[^,']*,server=on,wait=off'/></qemu:commandline>");

  /**
   * A domain XML (a checkpoint's, restored on this host) with its own monitor moved to {@code socket}, or dropped
   * when that is null: the folder it named belongs to the host that took the checkpoint.
   */
  public static String withOwnMonitor(String xml, Path socket) {
    Matcher m = OWN_MONITOR.matcher(xml);
    if (!m.find()) return xml;
    return m.replaceFirst(Matcher.quoteReplacement(ownMonitor(socket)));
  }

  private static String ownMonitor(Path socket) {
    return socket == null ? "" : "<qemu:commandline><qemu:arg value='-qmp'/><qemu:arg value='unix:" + socket
        + ",server=on,wait=off'/></qemu:commandline>";
  }

  /** {@link #qmpSocket(Connect, Path, String)} in the lab guests' run folder. */
  public static Path qmpSocket(Connect connect, String name) throws IOException {
    return qmpSocket(connect, guestDir().resolve("run"), name);
  }

  static String domainXml(Spec spec, Path serial, Path dataDisk, Path qmpSocket) {
    Path dir = guestDir();
    StringBuilder cmdline = new StringBuilder("console=ttyS0 quiet vmqsc.fill_mib=" + spec.fillMiB()
        + " vmqsc.hot_kib=" + spec.hotKiB() + " vmqsc.tick=" + spec.tickSeconds());
    if (spec.messaging() != null) {
      cmdline.append(" vmqsc.index=").append(spec.messaging().index())
          .append(" vmqsc.group=").append(spec.messaging().group())
          .append(" vmqsc.rate=").append(spec.messaging().rate());
    }
    if (dataDisk != null) {
      cmdline.append(" vmqsc.disk=/dev/vda");
    }
    if (spec.freed() != null) {
      cmdline.append(" vmqsc.freed_mib=").append(spec.freed().mib());
    }
    StringBuilder devices = new StringBuilder();
    if (dataDisk != null) {
      devices.append("<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>")
          .append("<source file='").append(dataDisk).append("'/><target dev='vda' bus='virtio'/></disk>");
    }
    if (spec.nic() != null && spec.nic().bridge() != null) {
      devices.append("<interface type='bridge'><mac address='").append(spec.nic().mac()).append("'/>")
          .append("<source bridge='").append(spec.nic().bridge()).append("'/>")
          .append("<model type='virtio'/></interface>");
    } else if (spec.nic() != null) {
      devices.append("<interface type='udp'><mac address='").append(spec.nic().mac()).append("'/>")
          .append("<source address='127.0.0.1' port='").append(spec.nic().relayPort()).append("'>")
          .append("<local address='127.0.0.1' port='").append(spec.nic().localPort()).append("'/></source>")
          .append("<model type='virtio'/></interface>");
    }
    return "<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>"
        + "<name>" + spec.name() + "</name>"
        + "<memory unit='MiB'>" + spec.memoryMiB() + "</memory>"
        + (onHugePages(spec) ? "<memoryBacking><hugepages/></memoryBacking>" : "")
        + "<vcpu>1</vcpu>"
        + "<os><type arch='x86_64' machine='pc'>hvm</type>"
        + "<kernel>" + dir.resolve("vmlinuz") + "</kernel>"
        + "<initrd>" + dir.resolve("initrd.img") + "</initrd>"
        + "<cmdline>" + cmdline + "</cmdline></os>"
        + "<on_crash>destroy</on_crash>"
        + "<devices>"
        + devices
        + "<serial type='file'><source path='" + serial + "' append='on'/><target port='0'/></serial>"
        // Free page reporting on unless a benchmark turns it off: pages the guest frees are then discarded by QEMU,
        // read as zeros, and no checkpoint stores them (memory exclusion, agent-ext/README.md "Free pages").
        + "<memballoon model='virtio' freePageReporting='"
        + (spec.freed() == null || spec.freed().reporting() ? "on" : "off") + "'/>"
        + "</devices>" + ownMonitor(qmpSocket) + "</domain>";
  }

  /**
   * Whether the guest's RAM goes on 2 MiB huge pages: when the host has enough free (.ci/setup-kvm.sh keeps a pool),
   * unless {@code -Dvmqsc.lab.hugepages=false}. Before each background snapshot QEMU reads one byte of every page
   * of guest RAM with the guest stopped; 64 huge pages per 128 MiB cost far less than 32,768 small ones. A guest
   * that frees memory for the balloon to report (the free-page benchmark) stays on small pages, which the balloon
   * discards one by one.
   */
  static boolean onHugePages(Spec spec) {
    if (spec.freed() != null || "false".equals(System.getProperty("vmqsc.lab.hugepages"))) return false;
    return HugePages.freeMiB() >= spec.memoryMiB();
  }

  /** Destroys the running domain {@code name}; nothing when there is none. */
  public static void destroyIfRunning(Connect connect, String name) {
    try {
      Domain domain = connect.domainLookupByName(name);
      if (domain.isActive() == 1) {
        domain.destroy();
      }
    } catch (LibvirtException noSuchDomain) {
      // nothing to clean up
    }
  }

  public Spec spec() {
    return spec;
  }

  public String name() {
    return spec.name();
  }

  /** The file the guest's serial port writes to (a restored instance of the guest appends to it). */
  public Path serialLog() {
    return serialLog;
  }

  /** The data disk this guest was started with, if any. */
  public Optional<Path> dataDisk() {
    return Optional.ofNullable(dataDisk);
  }

  private String serial() throws IOException {
    return Files.exists(serialLog)
        ? new String(Files.readAllBytes(serialLog), StandardCharsets.ISO_8859_1) : "";
  }

  /**
   * The ticks a restored guest printed: waits (a minute at most) for the first tick after {@code printedBefore} that
   * goes back in time (the restored memory's clock), and two more after it; returns them from that one on.
   */
  public List<Integer> ticksAfterRestore(int printedBefore) throws IOException, InterruptedException {
    long deadline = System.currentTimeMillis() + 60_000;
    List<Integer> ticks = ticks();
    while (System.currentTimeMillis() < deadline) {
      ticks = ticks();
      for (int i = Math.max(1, printedBefore); i < ticks.size(); i++) {
        if (ticks.get(i) < ticks.get(i - 1) && ticks.size() >= i + 3) return ticks.subList(i, ticks.size());
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("the restored guest printed no ticks that go back in time: "
        + ticks.subList(Math.min(printedBefore, ticks.size()), ticks.size()));
  }

  /** The messaging program's sends and receipts as printed on the serial port, in order. */
  public List<GuestRecords.Entry> journal() throws IOException {
    return GuestRecords.serialEntries(serial());
  }

  /** The messages this guest printed it sent, in order. */
  public List<GuestRecords.Entry> sends() throws IOException {
    return journal().stream().filter(e -> e.kind() == GuestRecords.Kind.SEND).toList();
  }

  /** The messages this guest printed it received, in order. */
  public List<GuestRecords.Entry> receipts() throws IOException {
    return journal().stream().filter(e -> e.kind() == GuestRecords.Kind.RECV).toList();
  }

  /** The program's once-a-second state lines: records it counts in memory, and those it read back from its disk. */
  public List<GuestRecords.State> states() throws IOException {
    return GuestRecords.serialStates(serial());
  }

  /** How many datagrams the messaging program ignored (wrong size or shape, not for it), as it last printed. */
  public long ignoredDatagrams() throws IOException {
    return GuestRecords.serialIgnored(serial());
  }

  /**
   * The records on this guest's data disk, read on the host (the image is copied to a raw temporary file with
   * {@code qemu-img convert}, sharing the image with a guest that still runs). Read after the guest is destroyed
   * they are exactly what it wrote; while it runs, the last few may not be on the host's file yet.
   */
  public List<GuestRecords.Record> diskRecords() throws IOException {
    if (dataDisk == null) {
      throw new IllegalStateException("lab guest " + name() + " has no data disk");
    }
    return readDiskRecords(dataDisk);
  }

  /** The messaging program's records on a qcow2 data disk image. */
  public static List<GuestRecords.Record> readDiskRecords(Path qcow2) throws IOException {
    Path raw = Files.createTempFile("vmqsc-datadisk", ".raw");
    try {
      run(List.of("qemu-img", "convert", "-U", "-f", "qcow2", "-O", "raw", qcow2.toString(), raw.toString()));
      return GuestRecords.read(raw);
    } finally {
      Files.deleteIfExists(raw);
    }
  }

  /**
   * Waits until this guest has printed at least {@code count} receipts of messages from guest {@code from}; fails
   * early if the guest crashed or the messaging program reported an error.
   */
  public void awaitReceiptsFrom(int from, int count, long timeoutMillis) throws IOException, InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMillis;
    while (true) {
      long received = receipts().stream().filter(e -> e.from() == from).count();
      if (received >= count) {
        return;
      }
      String failure = failure();
      if (failure != null) {
        throw new IOException("lab guest " + name() + ": " + failure + " (serial log " + serialLog + ")");
      }
      if (System.currentTimeMillis() > deadline) {
        throw new IOException("lab guest " + name() + " received " + received + " messages from guest " + from
            + " in " + timeoutMillis + " ms, expected " + count + "; serial log " + serialLog);
      }
      Thread.sleep(100);
    }
  }

  /** A kernel panic, or an error the init or the messaging program printed, or null. */
  private String failure() throws IOException {
    String panic = kernelPanic();
    if (panic != null) {
      return "crashed: " + panic;
    }
    String log = serial();
    for (String marker : List.of("GUEST-ERROR", "QSC-ERROR", "QSC-DISK-ERROR")) {
      int at = log.indexOf(marker);
      if (at >= 0) {
        int end = log.indexOf('\n', at);
        return log.substring(at, end < 0 ? log.length() : end).trim();
      }
    }
    return null;
  }

  /** Every tick printed so far, in order (a restored guest prints older numbers again). */
  public List<Integer> ticks() throws IOException {
    List<Integer> ticks = new ArrayList<>();
    if (!Files.exists(serialLog)) {
      return ticks;
    }
    Matcher m = TICK.matcher(new String(Files.readAllBytes(serialLog), StandardCharsets.ISO_8859_1));
    while (m.find()) {
      ticks.add(Integer.parseInt(m.group(1)));
    }
    return ticks;
  }

  private String kernelPanic() throws IOException {
    if (!Files.exists(serialLog)) {
      return null;
    }
    String log = new String(Files.readAllBytes(serialLog), StandardCharsets.ISO_8859_1);
    int at = log.indexOf("Kernel panic");
    if (at < 0) {
      return null;
    }
    int end = log.indexOf('\n', at);
    return log.substring(at, end < 0 ? log.length() : end).trim();
  }

  public int lastTick() throws IOException {
    List<Integer> ticks = ticks();
    return ticks.isEmpty() ? 0 : ticks.get(ticks.size() - 1);
  }

  /** Waits until the serial log holds at least {@code count} ticks in total. */
  public void awaitTickCount(int count, long timeoutMillis) throws IOException, InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMillis;
    while (ticks().size() < count) {
      String panic = kernelPanic();
      if (panic != null) {
        throw new IOException("lab guest " + name() + " crashed: " + panic + " (serial log " + serialLog + ")");
      }
      if (System.currentTimeMillis() > deadline) {
        throw new IOException("lab guest " + name() + " printed " + ticks().size() + " ticks in " + timeoutMillis
            + " ms, expected " + count + "; serial log " + serialLog);
      }
      Thread.sleep(50);
    }
  }

  @Override public void close() {
    destroyIfRunning(connect, spec.name());
  }
}
