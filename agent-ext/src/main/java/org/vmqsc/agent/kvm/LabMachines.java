package org.vmqsc.agent.kvm;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;
import org.vmqsc.agent.driver.Capture;
import org.vmqsc.agent.driver.GuestMachines;
import org.vmqsc.agent.driver.ImageConsumer;
import org.vmqsc.agent.store.SafeFiles;

/**
 * The standalone agent's real guests ({@code ./vmqsc agent --kvm}): one lab guest per VM ({@link LabGuest}, the
 * tiny QEMU guest of {@code .ci/setup-kvm.sh}) with a virtio NIC on the agent's relay, a qcow2 data disk, and the
 * messaging program sending to the other VMs of its group. Checkpoints go through {@link KvmDriver} (memory by
 * background snapshot, the disk by an external overlay cut at the same paused instant); a restore builds a new
 * overlay on the checkpoint's disk state and loads the memory image against it, with the NIC pointed at this
 * agent's relay.
 *
 * <p>A VM's domain is named after the VM ({@code vmqsc-<vm uuid>}) whichever agent runs it: restoring it on
 * another agent replaces whatever instance of it still runs.
 */
public final class LabMachines implements GuestMachines {

  /** The guest's shape: small, so four of them run under software emulation on two cores. */
  private static final int MEMORY_MIB = 128, FILL_MIB = 8, HOT_KIB = 256;
  private static final double TICK_SECONDS = 0.5, MESSAGES_PER_SECOND = 4;
  private static final Pattern UDP_SOURCE = Pattern.compile("(<interface type=['\"]udp['\"].*?<source [^>]*port=['\"])(\\d+)(['\"])",
      Pattern.DOTALL);
  private static final Pattern UDP_LOCAL = Pattern.compile("(<interface type=['\"]udp['\"].*?<local [^>]*port=['\"])(\\d+)(['\"])",
      Pattern.DOTALL);

  /** A checkpoint's record of its disk {@code <target>}: the name of its top frozen file in the chain folder. */
  private static final String TOP = ".top";

  /** A checkpoint of a running guest: its disks folder, and the frozen files of it in the running chain. */
  private record Taken(Path disks, java.util.Collection<Path> frozen) {}

  /**
   * Per running guest, its checkpoints taken here, oldest first (a restore or a new start begins a new list). A list
   * is added to on the guest's snapshot thread and collected on the agent's loop: used under its own lock.
   */
  private final Map<String, java.util.List<Taken>> taken = new java.util.concurrent.ConcurrentHashMap<>();

  private final Connect connect;
  /**
   * One driver, on its own libvirt connection, per guest: libvirtd serves at most five calls of one connection at a
   * time and holds the rest back, and a guest's pause must not wait behind another guest's snapshot.
   */
  private final Map<String, KvmDriver> drivers = new java.util.concurrent.ConcurrentHashMap<>();
  private final Path home;
  /** The running guests' disks: where QEMU (user libvirt-qemu) can reach them, unlike the agent's own folder. */
  private final Path disksHome;

  private LabMachines(Connect connect, Path home, Path disksHome) {
    this.connect = connect;
    this.home = home;
    this.disksHome = disksHome;
  }

  /** The agent's lab machines, keeping their disks and scratch files under {@code home}. */
  public static LabMachines open(String agentName, Path home) throws IOException {
    Path dir = SafeFiles.ownerOnlyDirectory(home);
    try {
      Connect connect = LabGuest.connect();
      Path disks = LabGuest.guestDir().resolve("run").resolve(agentName);
      SafeFiles.deleteTree(disks); // a new agent process runs no guest: what an earlier one left serves nobody
      Files.createDirectories(disks);
      disks.toFile().setExecutable(true, false);
      return new LabMachines(connect, dir, disks);
    } catch (LibvirtException e) {
      throw new IOException("agent " + agentName + ": cannot reach libvirtd at " + LabGuest.URI + ": " + e.getMessage(), e);
    }
  }

  @Override public InetSocketAddress start(String name, int vm, int groupSize, InetSocketAddress relayEnd)
      throws IOException {
    int local = freeUdpPort();
    Path disk = diskDir(name).resolve("data.qcow2");
    LabGuest.Spec spec = new LabGuest.Spec(name, MEMORY_MIB, FILL_MIB, HOT_KIB, TICK_SECONDS)
        .withNic(LabGuest.Nic.forIndex(vm, local, relayEnd.getPort()))
        .withMessaging(new LabGuest.Messaging(vm, groupSize, MESSAGES_PER_SECOND))
        .withDataDisk(LabGuest.DataDisk.fresh(disk));
    taken.remove(name);
    LabGuest.start(connect, spec);
    pause(name);
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), local);
  }

  /** How a cut keeps the lab guests' disks: QEMU's backup layers, which hold the guest for the shortest pause. */
  static final KvmDriver.DiskCut DISK_CUT = KvmDriver.DiskCut.BACKUP_LAYERS;

  @Override public void prepareCut(String name) throws IOException {
    driver(name).prepareCut(name);
  }

  @Override public void pause(String name) throws IOException {
    driver(name).pause(name);
  }

  @Override public void resume(String name) throws IOException {
    driver(name).resume(name);
  }

  @Override public Capture checkpointPaused(String name, Runnable running, ImageConsumer memory, Path disks)
      throws IOException {
    Capture capture = driver(name).checkpointPaused(name, running, memory);
    java.util.List<Taken> list = taken.computeIfAbsent(name, n -> new java.util.ArrayList<>());
    synchronized (list) {
      list.add(new Taken(disks, capture.frozenDisks().values()));
    }
    // Under the VM's chain lock: a later checkpoint of the same guest may be copying this layer too (as the backing
    // file of its own), and then deleting the local files it copied.
    withChainLock(disks.toAbsolutePath().getParent(), () -> {
      for (Map.Entry<String, Path> frozen : capture.frozenDisks().entrySet()) {
        Path chain = chainDir(disks, frozen.getKey());
        Path copy = DiskChains.copyFrozen(frozen.getValue(), chain);
        Files.writeString(disks.resolve(frozen.getKey() + TOP), copy.getFileName().toString());
        // A backup layer is not part of the running guest's disk: once on stable storage, its local file goes.
        if (DISK_CUT == KvmDriver.DiskCut.BACKUP_LAYERS) DiskChains.deleteCopied(frozen.getValue(), chain);
      }
    });
    return capture;
  }

  @Override public InetSocketAddress restore(String name, int vm, Path memoryImage, Path disks,
                                             InetSocketAddress relayEnd) throws IOException {
    Map<String, Path> frozen = new HashMap<>();
    if (Files.isDirectory(disks)) {
      withChainLock(disks.toAbsolutePath().getParent(), () -> {
        try (var tops = Files.list(disks)) {
          for (Path top : tops.filter(p -> p.getFileName().toString().endsWith(TOP)).toList()) {
            String target = top.getFileName().toString();
            target = target.substring(0, target.length() - TOP.length());
            frozen.put(target, localCopy(chainDir(disks, target), Files.readString(top).trim(), diskDir(name)));
          }
        }
      });
    }
    int local = freeUdpPort();
    taken.remove(name);
    Path ownMonitor = LabGuest.qmpSocket(connect, name);
    driver(name).restore(name, memoryImage, frozen,
        xml -> LabGuest.withOwnMonitor(withNicPorts(xml, relayEnd.getPort(), local), ownMonitor), true);
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), local);
  }

  /** The domain's XML with its UDP NIC's backend moved to this agent's relay port and a new local port. */
  static String withNicPorts(String xml, int relayPort, int localPort) {
    Matcher source = UDP_SOURCE.matcher(xml);
    if (!source.find()) throw new IllegalArgumentException("the domain has no UDP NIC to point at the relay");
    String out = source.replaceFirst("$1" + relayPort + "$3");
    return UDP_LOCAL.matcher(out).replaceFirst("$1" + localPort + "$3");
  }

  @Override public void forgetDisks(Path disks) throws IOException {
    forgetCheckpointDisks(disks);
  }

  /**
   * Deletes a checkpoint's disk folder (its tops), then, in each of its VM's stable chains, merges the layers that
   * only older checkpoints needed into the chain's bottom file: the chains of the checkpoints left (those with a
   * folder still) read exactly as before. The newest checkpoint's chain decides what lies below the oldest kept one
   * (an execution a recovery discarded branches off above the line, and no checkpoint left goes back below it).
   * Holds the VM's chain lock, which a restore copying a chain holds too; every host is told, and the first one to
   * get the lock does it.
   */
  static void forgetCheckpointDisks(Path disks) throws IOException {
    Path vmDir = disks.toAbsolutePath().getParent();
    Path chains = vmDir.resolve("chain");
    if (!Files.isDirectory(disks)) return;  // no disks, or another host was first
    withChainLock(vmDir, () -> {
      if (!Files.isDirectory(disks)) return;
      SafeFiles.deleteTree(disks);
      if (!Files.isDirectory(chains)) return;
      List<Path> checkpoints;
      try (var folders = Files.list(vmDir)) {
        checkpoints = folders.filter(f -> !f.equals(chains) && Files.isDirectory(f)).toList();
      }
      try (var targets = Files.list(chains)) {
        for (Path chain : targets.filter(Files::isDirectory).toList()) {
          List<Path> tops = new java.util.ArrayList<>();
          boolean copying = false;
          for (Path c : checkpoints) {
            Path top = c.resolve(chain.getFileName() + TOP);
            if (Files.isRegularFile(top)) {
              tops.add(chain.resolve(Files.readString(top).trim()));
            } else if (copyMayBeUnderWay(c)) {
              copying = true;
            }
          }
          // A checkpoint whose copy is under way (its top comes last) may need any layer below the kept ones: its
          // frozen file names the one below it, which a merge now would delete. Checkpoints finish out of order
          // under load, the line's own among them. The chain is collected at a later forget.
          if (tops.isEmpty() || copying) continue;
          Path newest = tops.get(0);
          for (Path t : tops) {
            if (Files.getLastModifiedTime(t).compareTo(Files.getLastModifiedTime(newest)) > 0) newest = t;
          }
          DiskChains.collect(newest, tops);
        }
      }
    });
  }

  /**
   * How long a checkpoint's disk folder may go without its tops before it is taken for abandoned (its checkpoint
   * failed): a copy of a frozen disk takes seconds, minutes on a loaded host.
   */
  static final java.time.Duration COPY_ABANDONED_AFTER = java.time.Duration.ofMinutes(30);

  /** Whether the checkpoint folder {@code c}, which lacks a top, may still be getting its disks' copies. */
  private static boolean copyMayBeUnderWay(Path c) throws IOException {
    long age = System.currentTimeMillis() - Files.getLastModifiedTime(c).toMillis();
    return age < COPY_ABANDONED_AFTER.toMillis();
  }

  private interface ChainWork {
    void run() throws IOException;
  }

  private static final Map<Path, Object> CHAIN_LOCKS = new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * One lock per VM's folder of stable disk states, across the hosts that share it (a lock file) and within this
   * process (one channel on the file at a time: closing another would drop the process's lock): a collection and a
   * restore's copy of a chain never overlap.
   */
  private static void withChainLock(Path vmDir, ChainWork work) throws IOException {
    synchronized (CHAIN_LOCKS.computeIfAbsent(vmDir.toAbsolutePath().normalize(), d -> new Object())) {
      Files.createDirectories(vmDir);
      try (java.nio.channels.FileChannel file = java.nio.channels.FileChannel.open(vmDir.resolve("chain.lock"),
               java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
           java.nio.channels.FileLock held = file.lock()) {
        work.run();
      }
    }
  }

  /** Merges, in the running guest's disk chains, the layers only checkpoints before {@code oldestKept} need. */
  @Override public void collect(String name, Path oldestKept) throws IOException {
    java.util.List<Taken> list = taken.get(name);
    if (list == null) return;
    synchronized (list) {
      int from = -1;
      for (int i = 0; i < list.size(); i++) if (list.get(i).disks().equals(oldestKept)) from = i;
      if (from <= 0) return; // nothing older, or a checkpoint of another instance of the guest
      java.util.List<Path> keep = new java.util.ArrayList<>();
      for (Taken t : list.subList(from, list.size())) keep.addAll(t.frozen());
      driver(name).collectDisks(name, keep);
      list.subList(0, from).clear();
    }
  }

  /** The guest's driver, opened on first use. */
  private KvmDriver driver(String name) throws IOException {
    KvmDriver d = drivers.get(name);
    if (d != null) return d;
    try {
      d = new KvmDriver(LabGuest.connect(), home.resolve("scratch"));
      d.setDiskCut(DISK_CUT);
    } catch (LibvirtException e) {
      throw new IOException("cannot reach libvirtd for " + name + ": " + e.getMessage(), e);
    }
    KvmDriver raced = drivers.putIfAbsent(name, d);
    if (raced == null) return d;
    d.close();
    return raced;
  }

  /**
   * Through the guest's driver, which destroys it only once no checkpoint of it works on it any more (see
   * {@link KvmDriver#destroy}); the driver is dropped after that, so a checkpoint thread still asking for it meanwhile
   * gets the same one.
   */
  @Override public void destroy(String name) throws IOException {
    taken.remove(name);
    KvmDriver driver = drivers.get(name);
    if (driver == null) {
      LabGuest.destroyIfRunning(connect, name);  // no driver, so no checkpoint of it here
      return;
    }
    try {
      driver.destroy(name);
    } finally {
      drivers.remove(name, driver);
      driver.close();
    }
  }

  /**
   * Copies the chain under {@code top} (in the stable {@code chain} folder) into a new folder of {@code dir}, where
   * QEMU can reach it and where the restored guest's own overlay will grow; returns the copy of the top.
   */
  private static Path localCopy(Path chain, String top, Path dir) throws IOException {
    Path copy = Files.createTempDirectory(dir, "restore-");
    copy.toFile().setExecutable(true, false);
    copy.toFile().setReadable(true, false);
    for (DiskChains.Layer layer : DiskChains.chain(chain.resolve(top))) {
      Files.copy(layer.file(), copy.resolve(layer.file().getFileName()));
    }
    return copy.resolve(top);
  }

  /**
   * Where the frozen files of a VM's disk {@code target} are kept: one folder per disk, next to the checkpoints'
   * folders, since each frozen overlay names the one below it by its file name only.
   */
  private static Path chainDir(Path checkpointDisks, String target) throws IOException {
    Path dir = checkpointDisks.resolveSibling("chain").resolve(target);
    Files.createDirectories(dir);
    return dir;
  }

  private Path diskDir(String name) throws IOException {
    Path dir = disksHome.resolve(name);
    Files.createDirectories(dir);
    dir.toFile().setExecutable(true, false); // QEMU (user libvirt-qemu) opens the disks in here
    return dir;
  }

  /** A UDP port free on loopback now, for QEMU to bind as the guest's end of its NIC. */
  private static int freeUdpPort() throws IOException {
    try (DatagramSocket probe = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
      return probe.getLocalPort();
    }
  }

  @Override public void close() {
    drivers.values().forEach(KvmDriver::close);
    drivers.clear();
    try {
      connect.close();
    } catch (LibvirtException ignored) {
      // the daemon is gone
    }
  }
}
