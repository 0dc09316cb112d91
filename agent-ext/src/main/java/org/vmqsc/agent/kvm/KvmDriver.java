package org.vmqsc.agent.kvm;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.DomainInfo;
import org.libvirt.DomainSnapshot;
import org.libvirt.LibvirtException;
import org.libvirt.ExtraCalls;
import org.vmqsc.agent.driver.Capture;
import org.vmqsc.agent.driver.DiskSnapshot;
import org.vmqsc.agent.driver.CaptureMode;
import org.vmqsc.agent.driver.HypervisorDriver;
import org.vmqsc.agent.driver.ImageConsumer;
import org.vmqsc.agent.store.SafeFiles;

/**
 * QEMU/KVM through libvirt.
 *
 * <p>Checkpoint: switch QEMU's {@code background-snapshot} migration capability on (QMP), take a memory-only
 * external snapshot with the LIVE flag, and switch the capability off again whatever happens, because while it is on
 * every save or migration of the VM would become a background snapshot. If QEMU refuses the capability (no
 * userfaultfd write-protect for its user) or the background snapshot fails, the ordinary pre-copy live snapshot is
 * taken instead, and the capture says so. The guest pause is QEMU's own figure ({@code query-migrate} downtime);
 * libvirt's job statistics count from an earlier STOP event and overstate it.
 *
 * <p>The snapshot's memory file is a libvirt save image; it is handed to the consumer and then deleted. Restore
 * hands a verified image to {@code virDomainRestore}, which starts the VM running from it. A checkpoint cut by the
 * caller (below) writes no file: QEMU's stream goes through a socket or a pipe into the consumer while QEMU writes it
 * (see {@code MemoryImage}, {@link ImageHandOff}).
 *
 * <p>Memory and disks at one instant, cut by the caller ({@link #pause}, then {@link #checkpointPaused}): while the
 * vCPUs are stopped, an external disk-only snapshot moves every disk onto a new qcow2 overlay (prepared by
 * {@code pause} before it stops the guest), which freezes the file that was active: with its backing chain it is the
 * checkpoint's disk state. Then the memory snapshot as above; a background snapshot restarts the vCPUs itself, after
 * a pre-copy one the driver resumes the guest. The pause is measured from the stop to the restart QEMU reports: a
 * second thread polls the run state (see {@code ResumeWatch}) until the guest runs again. Restore puts a new overlay
 * on the checkpoint's frozen files and restores the memory image with the disk sources changed accordingly
 * ({@code virDomainRestoreFlags} with a domain XML): frozen files are never written, other checkpoints' chains depend
 * on them. libvirt 9.0 cannot revert external snapshots, so the driver does what a revert would.
 *
 * <p>One domain's snapshot work and its destroy never overlap (see {@link #destroy}): libvirtd 9.0 can exit when a
 * domain is destroyed while it still works on a snapshot of it.
 */
public final class KvmDriver implements HypervisorDriver {

  private static final String BACKGROUND_SNAPSHOT = "background-snapshot";
  private static final Pattern DISK_TARGET =
      Pattern.compile("<disk[^>]*device=['\"]disk['\"][^>]*>.*?<target[^>]*dev=['\"]([^'\"]+)['\"]", Pattern.DOTALL);

  private static final Pattern DISK_BLOCK = Pattern.compile("<disk\\s[^>]*>.*?</disk>", Pattern.DOTALL);
  private static final Pattern ATTRIBUTE = Pattern.compile("(\\w+)=['\"]([^'\"]*)['\"]");
  private static final long JOB_TIMEOUT_MILLIS = 300_000;
  /** How long a destroy waits for the domain's snapshot work and libvirt's job on it to end (after aborting them). */
  private static final long DESTROY_WAIT_MILLIS = 60_000;
  private static final int JOB_NONE = 0;  // VIR_DOMAIN_JOB_NONE
  private static final int STATE_PAUSED = 3;  // VIR_DOMAIN_PAUSED
  /** How long preparing a cut waits for the VM's previous snapshot to end (see {@link #prepareCut}). */
  private static final long PREVIOUS_SNAPSHOT_WAIT_MILLIS = 1_000;

  private final Connect connect;
  private final Path scratch;
  private volatile boolean preferBackgroundSnapshot = true;
  /**
   * How a cut keeps the guest's disks as of its instant: a new overlay above each disk file, made by libvirt's
   * disk-only snapshot (the driver owns the files); a layer QEMU's incremental backup writes from the instant on
   * while the guest runs (the lab guests': the shortest pause, see {@link BackupLayers}); an internal snapshot inside
   * each qcow2 file (a CloudStack volume stays the file CloudStack knows); or not at all (memory only).
   */
  public enum DiskCut { OVERLAYS, BACKUP_LAYERS, INTERNAL_SNAPSHOTS, NONE }

  private volatile DiskCut diskCut = DiskCut.OVERLAYS;
  private final BackupLayers backups = new BackupLayers();
  private final Map<String, PendingCut> pending = new ConcurrentHashMap<>();
  /** Per domain (by the caller's id): the lock its snapshot work and its destroy take; see {@link #destroy}. */
  private final Map<String, DomainWork> work = new ConcurrentHashMap<>();

  /**
   * A domain's snapshot work — a snapshot's creation, the job libvirt runs for it, the discard of its metadata, the
   * merge of old disk layers — holds {@code lock}; a destroy takes it too. {@code destroying} counts the destroys
   * waiting for it: while there is one, no snapshot of the domain starts.
   */
  private static final class DomainWork {
    final ReentrantLock lock = new ReentrantLock();
    final AtomicInteger destroying = new AtomicInteger();
  }

  private DomainWork work(String vmId) {
    return work.computeIfAbsent(vmId, id -> new DomainWork());
  }

  /** Starts snapshot work on the domain (the caller unlocks), unless a destroy of it waits. */
  private DomainWork beginSnapshotWork(String vmId) throws IOException {
    DomainWork w = work(vmId);
    w.lock.lock();
    try {
      refuseIfDestroying(w, vmId);
    } catch (IOException e) {
      w.lock.unlock();
      throw e;
    }
    return w;
  }

  private static void refuseIfDestroying(DomainWork w, String name) throws IOException {
    if (w.destroying.get() > 0) {
      throw new IOException(name + " is being destroyed: no snapshot of it is started");
    }
  }
  /** How the run state is read; tests without libvirt put their own here. */
  interface StateReader {
    int state(Domain domain) throws LibvirtException;
  }

  private volatile StateReader states = ExtraCalls::state;

  void setStateReader(StateReader reader) {
    this.states = reader;
  }

  /** How a QMP command goes to QEMU with a file descriptor; tests without libvirt put their own here. */
  interface FileHandover {
    String command(Domain domain, String command, int fd) throws LibvirtException;
  }

  private volatile FileHandover handover = ExtraCalls::monitorCommandWithFile;
  /** Set once libvirt proved too old to hand QEMU a file: the memory of cuts then goes through its snapshot job. */
  private volatile boolean fileHandoverMissing;

  void setFileHandover(FileHandover handover) {
    this.handover = handover;
  }

  /** A disk the driver can cut: a qcow2 or raw file, writable by the guest. */
  record DiskSource(String target, Path file, String format) {}

  /** A guest stopped by pause(): when, and the overlays prepared for its disks. */
  /** Cuts prepared by {@link #prepareCut} and not paused yet (their pausedAtNanos is 0). */
  private final Map<String, PendingCut> prepared = new ConcurrentHashMap<>();

  /**
   * @param memoryImage the save image begun for the background snapshot (null: the memory goes through libvirt's
   *     snapshot job)
   * @param monitor where the commands sent while the guest stands still go
   * @param domain the domain it was prepared on (looked up once: the pause holds no lookup)
   */
  private record PendingCut(long pausedAtNanos, Map<String, DiskSource> disks, Map<String, Path> overlays,
      List<String> targets, boolean backgroundOn, String backgroundRefusal, DiskCut mode,
      MemoryImage memoryImage, List<BackupLayers.Layer> layers, Monitor monitor, Domain domain,
      boolean previousRunning) {

    PendingCut pausedAt(long nanos) {
      return new PendingCut(nanos, disks, overlays, targets, backgroundOn, backgroundRefusal, mode, memoryImage,
          layers, monitor, domain, previousRunning);
    }

    /** The capability is on after all (see {@code backgroundAfterAll}). */
    PendingCut backgroundOnAfterAll() {
      return new PendingCut(pausedAtNanos, disks, overlays, targets, true, null, mode, memoryImage, layers, monitor,
          domain, false);
    }
  }

  /** @param scratch where snapshot images wait until the engine has stored them (owner-only) */
  public KvmDriver(Connect connect, Path scratch) throws IOException {
    this.connect = connect;
    this.scratch = SafeFiles.ownerOnlyDirectory(scratch);
  }

  /** Forces pre-copy snapshots (benchmarks compare both modes). */
  public void setPreferBackgroundSnapshot(boolean prefer) {
    this.preferBackgroundSnapshot = prefer;
  }

  /** Leaves the disks out of checkpoints (memory only, as before disks were cut; benchmarks compare both). */
  public void setCutDisks(boolean cut) {
    this.diskCut = cut ? DiskCut.OVERLAYS : DiskCut.NONE;
  }

  /**
   * Host-specific details of a domain's XML when a checkpoint is restored on this host (where its NIC's bridge is
   * here, when hosts name theirs differently); none by default: the image's own XML is used.
   */
  private volatile UnaryOperator<String> restoreEdit = UnaryOperator.identity();

  public void setRestoreEdit(UnaryOperator<String> edit) {
    this.restoreEdit = edit;
  }

  /** How cuts keep the disks from now on (see {@link DiskCut}). */
  public void setDiskCut(DiskCut cut) {
    this.diskCut = cut;
  }

  @Override public String name() {
    return "kvm";
  }

  /**
   * The domain named {@code vmId}, or else the one whose libvirt UUID it is: CloudStack names its KVM guests
   * {@code i-<account>-<id>-VM} and gives each domain the VM's uuid, by which the plugin names the VM.
   */
  private Domain domain(String vmId) throws IOException {
    try {
      return connect.domainLookupByName(vmId);
    } catch (LibvirtException byName) {
      if (isUuid(vmId)) {
        try {
          return connect.domainLookupByUUIDString(vmId);
        } catch (LibvirtException byUuid) {
          throw new IOException("no libvirt domain named " + vmId + " or with that UUID: " + byUuid.getMessage(),
              byUuid);
        }
      }
      throw new IOException("no libvirt domain named " + vmId + ": " + byName.getMessage(), byName);
    }
  }

  private static boolean isUuid(String text) {
    try {
      return java.util.UUID.fromString(text).toString().equalsIgnoreCase(text);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /**
   * With disks to cut, a checkpoint is {@link #pause} plus {@link #checkpointPaused}; a guest without disks (or with
   * disk cutting off) gets the live memory snapshot, whose pause is QEMU's migration downtime alone.
   */
  @Override public Capture checkpoint(String vmId, ImageConsumer consumer) throws IOException {
    Domain domain = domain(vmId);
    if (diskCut != DiskCut.NONE && !cuttableDisks(domain).isEmpty()) {
      pause(vmId);
      return checkpointPaused(vmId, () -> { }, consumer);
    }
    return snapshotThenHandOn(vmId, consumer, (w, image, handOff) -> snapshot(domain, image, w), () -> { });
  }

  /**
   * One snapshot of a domain into {@code image}, taken while its work lock {@code w} is held; or, where QEMU's
   * stream reaches the agent itself, into {@code handOff} as it arrives.
   */
  private interface SnapshotWork {
    Capture take(DomainWork w, Path image, ImageHandOff handOff) throws IOException;
  }

  /**
   * Takes {@code snapshot} under the domain's lock and hands the image on: after it, or, if the snapshot began the
   * hand-off (see {@link ImageHandOff}), while it ran. A destroy waits for libvirt's work on the domain, not for the
   * engine's. {@code refused} runs when a destroy of the domain waits already.
   */
  private Capture snapshotThenHandOn(String vmId, ImageConsumer consumer, SnapshotWork snapshot, Runnable refused)
      throws IOException {
    Path image = scratch.resolve(vmId + "-" + UUID.randomUUID() + ".mem");
    try {
      DomainWork w;
      try {
        w = beginSnapshotWork(vmId);
      } catch (IOException destroying) {
        refused.run();
        throw destroying;
      }
      ImageHandOff handOff = new ImageHandOff(vmId, consumer);
      Capture capture = null;
      Throwable failure = null;
      try {
        capture = snapshot.take(w, image, handOff);
      } catch (IOException | RuntimeException | Error e) {
        failure = e;
      } finally {
        w.lock.unlock();
      }
      if (handOff.begun()) return handOff.end(failure);
      if (failure != null) throw ImageHandOff.rethrown(failure);
      handOff.consumeFile(image, capture);
      return capture;
    } finally {
      Files.deleteIfExists(image);
    }
  }


  /**
   * The guest runs again without a checkpoint (it was paused for one the caller did not take): the cut prepared
   * by {@link #pause} is dropped — its overlays deleted, background-snapshot off — and the vCPUs restart.
   */
  @Override public void resume(String vmId) throws IOException {
    Domain domain = domain(vmId);
    PendingCut paused = pending.remove(vmId);
    drop(prepared.remove(vmId), domain);
    drop(paused, domain);
    if (paused != null && paused.monitor() instanceof QmpSocket own) {
      own.execute("cont", null);  // stopped on its own monitor: libvirt's state may not say paused yet
      return;
    }
    try {
      if (states.state(domain) != ExtraCalls.STATE_RUNNING) domain.resume();
    } catch (LibvirtException e) {
      throw new IOException("cannot resume " + vmId + ": " + e.getMessage(), e);
    }
  }

  /**
   * Does, while the guest still runs, everything a cut needs before the stop (the overlays — qemu-img takes tens of
   * milliseconds —, the disk list, the background-snapshot capability), so that {@link #pause} only stops it. A
   * caller that pauses several guests at one boundary prepares them all first: none waits paused for another's
   * preparation. A prepared cut that is not used is dropped by {@link #resume} or the next restore.
   */
  public void prepareCut(String vmId) throws IOException {
    Domain domain = domain(vmId);
    if (pending.containsKey(vmId)) {
      throw new IOException(vmId + " is already paused for a checkpoint");
    }
    drop(prepared.remove(vmId), domain);
    // The previous checkpoint's memory may still be on its way (a background snapshot runs on after the pause, and
    // QEMU runs one migration at a time): its snapshot work should end first — but the caller's loop waits here, and
    // a recovery's pause of every guest too, so not for long. Past the wait the capability is refused; the cut's
    // snapshot, under the domain's lock once that migration has ended, asks for it again (see backgroundAfterAll) and
    // falls back to pre-copy only if still refused: a slow checkpoint, not a host stalled.
    DomainWork previous = work(vmId);
    // Nothing prepared for a domain on its way out: its QEMU may have gone already, its monitor's socket with it.
    refuseIfDestroying(previous, vmId);
    boolean previousRunning = true;
    try {
      if (previous.lock.tryLock(PREVIOUS_SNAPSHOT_WAIT_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS)) {
        previous.lock.unlock();
        previousRunning = false;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while " + vmId + "'s previous snapshot ended", e);
    }
    try {
      // Also loads the state call the pause measurement polls, before the clock runs.
      if (states.state(domain) != ExtraCalls.STATE_RUNNING) {
        throw new IOException(vmId + " is not running: nothing to pause for a checkpoint");
      }
    } catch (LibvirtException e) {
      throw new IOException("cannot read the state of " + vmId + ": " + e.getMessage(), e);
    }
    String xml;
    try {
      xml = domain.getXMLDesc(0);
    } catch (LibvirtException e) {
      throw new IOException("cannot read the domain XML of " + vmId + ": " + e.getMessage(), e);
    }
    DiskCut mode = diskCut;
    Map<String, DiskSource> disks = mode == DiskCut.NONE ? Map.of() : cuttableDisks(xml, vmId);
    if (mode == DiskCut.INTERNAL_SNAPSHOTS) InternalDiskSnapshots.checkCanHold(disks.values(), vmId);
    Map<String, Path> overlays = new LinkedHashMap<>();
    boolean backgroundOn = false;
    MemoryImage memoryImage = null;
    List<BackupLayers.Layer> layers = List.of();
    try {
      for (DiskSource disk : mode == DiskCut.OVERLAYS ? disks.values() : List.<DiskSource>of()) {
        Path overlay = DiskChains.overlayNextTo(disk.file(), "ck");
        DiskChains.createOverlay(overlay, disk.file(), disk.format(), virtualSize(domain, disk));
        overlays.put(disk.target(), overlay);
      }
      if (mode == DiskCut.BACKUP_LAYERS && !disks.isEmpty()) {
        Map<String, Long> sizes = new LinkedHashMap<>();
        for (DiskSource disk : disks.values()) sizes.put(disk.target(), virtualSize(domain, disk));
        layers = backups.prepare(domain, vmId, disks.values(), sizes);
      }
      String refusal = null;
      if (preferBackgroundSnapshot) {
        try {
          Qmp.setCapability(domain, BACKGROUND_SNAPSHOT, true);
          backgroundOn = true;
        } catch (IOException refused) {
          refusal = refused.getMessage();
        }
      }
      Path ownSocket = QmpSocket.socketIn(xml);
      Monitor monitor = monitorFor(vmId, domain, ownSocket);
      if (backgroundOn) {
        try {
          memoryImage = beginMemoryImage(domain, vmId, monitor, ownSocket);
        } catch (IOException cannot) {
          // libvirt's memory snapshot takes the memory then, its set-up inside the pause
          LOG.log(System.Logger.Level.DEBUG, "{0}: {1}", vmId, cannot.getMessage());
        }
      }
      // QEMU flushes every disk as it stops the guest, inside the pause (and the snapshot's start again): what the
      // guest wrote until now goes to the device first, so those flushes find little left.
      for (DiskSource disk : disks.values()) DiskChains.flushQuietly(disk.file());
      prepared.put(vmId, new PendingCut(0, disks, overlays, diskTargets(xml), backgroundOn, refusal, mode,
          memoryImage, layers, monitor, domain, previousRunning));
    } catch (IOException | RuntimeException e) {
      deleteQuietly(overlays.values());
      BackupLayers.discard(domain, layers);
      if (memoryImage != null) memoryImage.discard(domain);
      if (backgroundOn) {
        capabilityOffQuietly(domain);
      }
      if (e instanceof IOException io) {
        throw io;
      }
      throw new IOException("could not prepare a cut of " + vmId + ": " + e.getMessage(), e);
    }
  }

  @Override public void pause(String vmId) throws IOException {
    if (pending.containsKey(vmId)) {
      throw new IOException(vmId + " is already paused for a checkpoint");
    }
    PendingCut ready = prepared.remove(vmId);
    if (ready == null) {
      prepareCut(vmId);
      ready = prepared.remove(vmId);
    }
    Domain domain = ready.domain();
    try {
      List<String> devices = netDevices(vmId, domain);  // looked up once per QEMU process, while the guest runs
      int waiting;
      if (ready.monitor() instanceof QmpSocket own) {
        // Straight to QEMU: libvirt's suspend answers only after it has saved its own record of the domain. libvirt
        // learns of the stop from QEMU's STOP event. The transmit rings' questions go in the same write.
        own.expectStop();
        List<Monitor.Command> commands = new ArrayList<>();
        commands.add(new Monitor.Command("stop", null));
        commands.addAll(TransmitRings.queries(devices));
        List<Monitor.Reply> replies = own.executeAll(commands);
        replies.get(0).get();
        waiting = devices.isEmpty() ? 0 : TransmitRings.pending(replies.subList(1, replies.size()));
      } else {
        domain.suspend();
        waiting = devices.isEmpty() ? 0 : TransmitRings.pending(ready.monitor(), devices);
      }
      // Without QEMU's own monitor (and its STOP timestamp) the clock starts when the stop is confirmed: the vCPUs
      // stopped a little earlier (within the reply's way back), while the time libvirt takes before it sends QEMU
      // the stop is not pause.
      long pausedAt = flushTransmitRings(vmId, domain, ready.monitor(), devices, waiting, System.nanoTime());
      pending.put(vmId, ready.pausedAt(pausedAt));
    } catch (IOException | LibvirtException | RuntimeException e) {
      drop(ready, domain);
      throw new IOException("could not pause " + vmId + ": " + e.getMessage(), e);
    }
  }

  private static final System.Logger LOG = System.getLogger(KvmDriver.class.getName());

  /** How often a pause lets the guest run again for QEMU to send what waits in its transmit rings, and how long. */
  static final int TRANSMIT_FLUSH_ATTEMPTS = 10;
  private static final long TRANSMIT_FLUSH_NANOS = 1_000_000;
  private final java.util.concurrent.atomic.AtomicLong pausesWithFramesWaiting = new java.util.concurrent.atomic.AtomicLong(),
      pausesLeftWithFramesWaiting = new java.util.concurrent.atomic.AtomicLong();

  /**
   * A paused guest whose NIC still holds frames it has sent (in its transmit ring, not yet taken by QEMU) would send
   * them after the pause: a cut would stamp them with the next checkpoint's index though the checkpoint's state has
   * sent them. So while frames wait there ({@code waiting}, read with the stop) the guest runs again for a moment
   * (QEMU serves the ring) and is paused anew, at most {@value #TRANSMIT_FLUSH_ATTEMPTS} times; what is left is
   * counted. A guest whose rings cannot be read (no driver yet, another QEMU) is taken as it is. Returns when the
   * guest stopped for good: {@code stoppedAt}, or the last stop's confirmation.
   */
  private long flushTransmitRings(String vmId, Domain domain, Monitor monitor, List<String> devices, int waiting,
                                  long stoppedAt) throws LibvirtException {
    if (waiting <= 0) return stoppedAt;
    pausesWithFramesWaiting.incrementAndGet();
    for (int attempt = 0; attempt < TRANSMIT_FLUSH_ATTEMPTS && waiting > 0; attempt++) {
      runAgain(domain, monitor, true);
      java.util.concurrent.locks.LockSupport.parkNanos(TRANSMIT_FLUSH_NANOS);
      runAgain(domain, monitor, false);
      stoppedAt = System.nanoTime();
      waiting = TransmitRings.pending(monitor, devices);
    }
    if (waiting > 0) {
      pausesLeftWithFramesWaiting.incrementAndGet();
      LOG.log(System.Logger.Level.WARNING, "{0} paused with {1} frame(s) still in its transmit rings", vmId, waiting);
    }
    return stoppedAt;
  }

  /** The domain's virtio-net devices as its QEMU process (by domain id) has them; none if they cannot be read. */
  private List<String> netDevices(String vmId, Domain domain) throws LibvirtException {
    int domainId = domain.getID();  // a new QEMU process (a start, a restore) gets a new id
    NetDevices known = netDevices.get(vmId);
    if (known != null && known.domainId() == domainId) return known.paths();
    List<String> devices;
    try {
      devices = TransmitRings.netDevices(domain);
    } catch (IOException e) {
      return List.of();  // not cached: asked again at the next pause
    }
    netDevices.put(vmId, new NetDevices(domainId, devices));
    return devices;
  }

  /** Restarts ({@code run}) or stops the guest the way its cut stopped it: on its own monitor, or through libvirt. */
  private static void runAgain(Domain domain, Monitor monitor, boolean run) throws LibvirtException {
    if (monitor instanceof QmpSocket own) {
      try {
        own.execute(run ? "cont" : "stop", null);
      } catch (IOException e) {
        throw new IllegalStateException("QEMU refused to " + (run ? "run" : "stop") + " the guest: " + e.getMessage(), e);
      }
    } else if (run) {
      domain.resume();
    } else {
      domain.suspend();
    }
  }

  /** A domain's virtio-net devices, as its QEMU process (by domain id) has them: read once per process. */
  private record NetDevices(int domainId, List<String> paths) {}

  private final Map<String, NetDevices> netDevices = new java.util.concurrent.ConcurrentHashMap<>();

  /** Pauses that found frames waiting in the guest's transmit rings, and those that still left some there. */
  public long[] transmitFlushCounts() {
    return new long[] {pausesWithFramesWaiting.get(), pausesLeftWithFramesWaiting.get()};
  }

  /**
   * Drops a cut that will not be used: its overlays deleted, background-snapshot off (unless {@code domain} is null:
   * the instance it was prepared on is being replaced).
   */
  private static void drop(PendingCut unused, Domain domain) {
    if (unused == null) return;
    deleteQuietly(unused.overlays().values());
    BackupLayers.discard(domain, unused.layers());
    if (unused.memoryImage() != null) unused.memoryImage().discard(domain);
    if (unused.backgroundOn() && domain != null) capabilityOffQuietly(domain);
  }

  /** A domain's own QMP monitor, connected once per QEMU process (by domain id). */
  private record OwnMonitor(int domainId, QmpSocket socket) {}

  private final Map<String, OwnMonitor> ownMonitors = new ConcurrentHashMap<>();
  private volatile boolean useOwnMonitor = true;

  /** Whether cuts use a domain's own monitor where it has one (on by default; off compares with libvirt's). */
  public void setUseOwnMonitor(boolean use) {
    this.useOwnMonitor = use;
  }

  /**
   * Where a cut's commands go: the domain's own monitor {@code socket} if its XML gives QEMU one (lab guests), else
   * libvirt's pass-through.
   */
  private Monitor monitorFor(String vmId, Domain domain, Path socket) {
    if (socket == null || !useOwnMonitor) return Monitor.through(domain);
    try {
      int domainId = domain.getID();
      OwnMonitor known = ownMonitors.get(vmId);
      if (known != null && known.domainId() == domainId && known.socket().isOpen()) return known.socket();
      closeOwnMonitor(vmId);
      QmpSocket connected = QmpSocket.connect(socket);
      ownMonitors.put(vmId, new OwnMonitor(domainId, connected));
      return connected;
    } catch (IOException | LibvirtException e) {
      // A cut prepared just before (or across) a destroy finds QEMU, and its socket, gone: expected, not worth a
      // warning.
      System.Logger.Level level = work(vmId).destroying.get() > 0 || !isActive(domain) ? System.Logger.Level.DEBUG
          : System.Logger.Level.WARNING;
      LOG.log(level, "{0}: its QMP socket {1} is out of reach ({2}); cuts go through libvirt",
          vmId, socket, e.getMessage());
      return Monitor.through(domain);
    }
  }

  private void closeOwnMonitor(String vmId) {
    OwnMonitor old = ownMonitors.remove(vmId);
    if (old != null) old.socket().close();
  }

  /** The name under which QEMU holds the descriptor of a prepared cut's memory image. */
  private static final String MEMORY_FD = "vmqsc-memory";
  /** {@code VIR_DOMAIN_XML_SECURE | VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_MIGRATABLE}: the XML libvirt saves. */
  private static final int SAVE_XML_FLAGS = 1 | 2 | 8;
  /** Migration bandwidth for a snapshot into a file (QEMU's default throttles it to 128 MiB/s). */
  private static final long UNTHROTTLED_BYTES_PER_SECOND = 1L << 40;

  /**
   * A cut's memory image, begun while the guest still ran: the way QEMU's stream will reach the agent (a
   * {@link MigrationSink}: a socket where the guest has a monitor of its own, else a pipe whose write end QEMU holds,
   * handed through libvirt) and the {@link ImagePipe} that takes it, after libvirt's save header, to the engine while
   * QEMU still writes; so that inside the pause one QMP {@code migrate} starts the background snapshot. libvirt's own
   * memory snapshot spends 20–35 ms inside the pause on the same set-up (the header, the migration parameters, the
   * file) before QEMU stops the vCPUs.
   */
  private record MemoryImage(MigrationSink sink, ImagePipe pipe, Monitor monitor) {

    String uri() {
      return sink.uri();
    }

    /** A cut that will not be used: QEMU's descriptor or the socket closed, and anything QEMU sent dropped. */
    void discard(Domain domain) {
      pipe.fail(new IOException("the cut was dropped"));
      if (sink.heldByQemu() && domain != null) {
        JsonObject arguments = new JsonObject();
        arguments.addProperty("fdname", MEMORY_FD);
        try {
          Qmp.execute(domain, "closefd", arguments);  // QEMU's copy of the write end: the stream ends
        } catch (IOException ignored) {
          // gone with its QEMU
        }
      }
      sink.close();
    }
  }

  private MemoryImage beginMemoryImage(Domain domain, String vmId, Monitor monitor, Path ownSocket)
      throws IOException {
    String xml;
    try {
      xml = domain.getXMLDesc(SAVE_XML_FLAGS);
    } catch (LibvirtException e) {
      throw new IOException("cannot read the domain XML of " + vmId + ": " + e.getMessage(), e);
    }
    JsonObject bandwidth = new JsonObject();
    bandwidth.addProperty("max-bandwidth", UNTHROTTLED_BYTES_PER_SECOND);
    monitor.execute("migrate-set-parameters", bandwidth);
    ImagePipe pipe = new ImagePipe(SaveImageFile.completeHeader(xml));
    if (monitor instanceof QmpSocket) {
      // A short name: a Unix socket's path has room for 107 bytes.
      Path socket = ownSocket.resolveSibling("m-" + UUID.randomUUID().toString().substring(0, 8) + ".mem");
      MigrationSink sink = null;
      try {
        sink = MigrationSink.listen(socket);
        sink.streamInto(pipe);  // waits for QEMU from now on, so the pause holds no thread start
        return new MemoryImage(sink, pipe, monitor);
      } catch (IOException | RuntimeException cannotListen) {
        if (sink != null) sink.close();
        LOG.log(System.Logger.Level.WARNING, "{0}: no socket for its memory stream at {1} ({2}); the stream goes to"
            + " QEMU through libvirt", vmId, socket, cannotListen.getMessage());
      }
    }
    if (fileHandoverMissing) {
      throw new IOException("libvirt cannot hand QEMU a descriptor: the memory goes through libvirt's snapshot job");
    }
    KernelPipe kernelPipe = KernelPipe.open();
    MigrationSink sink = MigrationSink.ofPipe(kernelPipe.readEnd(), "fd:" + MEMORY_FD);
    boolean handedOver = false;
    try {
      JsonObject arguments = new JsonObject();
      arguments.addProperty("fdname", MEMORY_FD);
      JsonObject request = new JsonObject();
      request.addProperty("execute", "getfd");
      request.add("arguments", arguments);
      Qmp.checkReply("getfd", handover.command(domain, request.toString(), kernelPipe.writeFd()));
      handedOver = true;
    } catch (LibvirtException e) {
      throw new IOException("could not hand QEMU the memory stream's pipe of " + vmId + ": " + e.getMessage(), e);
    } catch (LinkageError tooOld) {
      fileHandoverMissing = true;
      LOG.log(System.Logger.Level.WARNING, "libvirt before 8.2: cuts take memory through libvirt's snapshot job, its"
          + " set-up inside the guest's pause ({0})", tooOld.toString());
      throw new IOException("libvirt cannot hand QEMU a descriptor (virDomainQemuMonitorCommandWithFiles needs"
          + " libvirt 8.2): the memory of " + vmId + "'s cuts goes through libvirt's snapshot job", tooOld);
    } finally {
      kernelPipe.closeWriteEnd();
      if (!handedOver) sink.close();
    }
    sink.streamInto(pipe);
    return new MemoryImage(sink, pipe, Monitor.through(domain));
  }

  /**
   * The background snapshot into the image {@link #beginMemoryImage} prepared: one QMP {@code migrate} (QEMU stops
   * the vCPUs, saves the devices, write-protects memory and restarts them), then the wait, with the guest running,
   * until QEMU has written every page. An image streamed into the agent goes to {@code streaming} as soon as the
   * guest runs again.
   */
  private static void migrateInto(Domain domain, MemoryImage memory, DomainWork w, Monitor.Command disksFirst,
                                  Consumer<ImagePipe> streaming) throws IOException {
    boolean started = false;
    try {
      try {
        refuseIfDestroying(w, nameOf(domain));
      } catch (IOException destroying) {
        // Nothing sent: the disks' copies, if they were to go with it, did not start either.
        if (disksFirst != null) throw new DisksRefused(destroying);
        throw destroying;
      }
      JsonObject arguments = new JsonObject();
      arguments.addProperty("uri", memory.uri());
      List<Monitor.Command> commands = new ArrayList<>();
      if (disksFirst != null) commands.add(disksFirst);
      commands.add(new Monitor.Command("migrate", arguments));
      List<Monitor.Reply> replies = memory.monitor().executeAll(commands);
      Monitor.Reply migrate = replies.get(replies.size() - 1);
      IOException disksRefused = disksFirst == null ? null : replies.get(0).error();
      if (migrate.error() != null && disksRefused != null) throw new DisksRefused(disksRefused);
      migrate.get();
      started = true;
      if (memory.monitor() instanceof QmpSocket own) {
        // No question to QEMU until the guest runs again: each would take QEMU's main lock, which its set-up of the
        // snapshot needs while the guest stands still.
        try {
          own.awaitResume(2_000_000_000L);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted waiting for " + nameOf(domain) + " to run again", e);
        }
      }
      // Refused disks make the cut no checkpoint: its stream is only read to its end, by no one.
      if (disksRefused != null) memory.pipe().fail(new DisksRefused(disksRefused));
      long deadline = System.nanoTime() + JOB_TIMEOUT_MILLIS * 1_000_000;
      PollBackoff backoff = new PollBackoff();
      while (true) {
        if (disksRefused == null) streaming.accept(memory.pipe());
        JsonObject status = memory.monitor().execute("query-migrate", null);
        String state = migrationState(status);
        if ("completed".equals(state)) break;
        if ("failed".equals(state) || "cancelled".equals(state)) {
          throw new IOException("background snapshot of " + nameOf(domain) + " " + state
              + (status.has("error-desc") ? ": " + status.get("error-desc").getAsString() : ""));
        }
        if (w.destroying.get() > 0 || System.nanoTime() > deadline) {  // cancelled below, as any failed wait
          throw new IOException("background snapshot of " + nameOf(domain) + " cancelled: "
              + (w.destroying.get() > 0 ? "the domain is being destroyed" : "it took over "
              + JOB_TIMEOUT_MILLIS / 1000 + " s"));
        }
        backoff.await();
      }
      memory.sink().awaitEnd(60_000);
      started = false;
      // Disks refused, memory started: the snapshot runs to its end rather than being cancelled (QEMU 7.2 can hang
      // cancelling a background snapshot while a write of the guest waits on its write protection), and goes.
      if (disksRefused != null) throw new DisksRefused(disksRefused);
    } catch (IOException | RuntimeException e) {
      // The engine, if it reads the stream already, stores nothing; the rest of the stream is dropped.
      memory.pipe().fail(e instanceof IOException io ? io : new IOException(e));
      throw e;
    } finally {
      memory.sink().close();
      // A failed wait must not leave QEMU's migration running under the next cut; but a domain being destroyed is
      // not cancelled first: its QEMU ends with the migration, and a cancel can hang QEMU 7.2 (with it libvirt's
      // calls on the domain, and the destroy waiting for this work) while a guest write waits on write protection.
      if (started && w.destroying.get() == 0) endQuietly(domain);
    }
  }

  /** The disks' transaction, to go with the migration's start, was refused or not sent: the cut has no disks. */
  private static final class DisksRefused extends IOException {
    DisksRefused(IOException cause) {
      super("the disks of the cut were refused: " + cause.getMessage(), cause);
    }
  }

  /** Cancels the domain's migration, if one runs, and waits (10 s at most) until QEMU says it has ended. */
  private static void endQuietly(Domain domain) {
    cancelQuietly(domain);
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (System.nanoTime() < deadline) {
      try {
        String state = migrationState(Qmp.execute(domain, "query-migrate", null));
        if (List.of("completed", "failed", "cancelled", "none").contains(state)) return;
      } catch (IOException gone) {
        return;
      }
      java.util.concurrent.locks.LockSupport.parkNanos(5_000_000);
    }
  }

  /** QEMU's state of the domain's migration, from {@code query-migrate} ("none" when none ever ran). */
  private static String migrationState(JsonObject status) {
    return status.has("status") ? status.get("status").getAsString() : "none";
  }

  private static void cancelQuietly(Domain domain) {
    try {
      Qmp.execute(domain, "migrate_cancel", null);
    } catch (IOException ignored) {
      // already ended, or the domain is gone
    }
  }

  @Override public Capture checkpointPaused(String vmId, Runnable running, ImageConsumer consumer)
      throws IOException {
    AtomicBoolean announced = new AtomicBoolean();
    Runnable runningOnce = () -> {
      if (announced.compareAndSet(false, true)) {
        running.run();
      }
    };
    return snapshotThenHandOn(vmId, consumer,
        (w, image, handOff) -> snapshotCut(vmId, w, image, handOff, runningOnce, announced::get),
        () -> drop(pending.remove(vmId), null));
  }

  /** The disk and memory snapshots of the instant {@link #pause} cut, into {@code image}; under the domain's lock. */
  private Capture snapshotCut(String vmId, DomainWork w, Path image, ImageHandOff handOff, Runnable runningOnce,
                              java.util.function.BooleanSupplier ranAgain) throws IOException {
    PendingCut cut = pending.remove(vmId);
    if (cut == null) {
      throw new IOException(vmId + " was not paused by pause(): no instant to checkpoint");
    }
    Domain domain = cut.domain();
    if (!cut.backgroundOn() && cut.previousRunning() && preferBackgroundSnapshot) cut = backgroundAfterAll(cut);
    Map<String, Path> frozen = new LinkedHashMap<>();
    List<DiskSnapshot> internal = List.of();
    QmpSocket own = cut.monitor() instanceof QmpSocket socket ? socket : null;
    if (own != null) own.armResumeWatch();
    // On QEMU's own monitor the backup layers' transaction goes with the migration's start, in one write: QEMU
    // runs the two back to back, the guest still stopped, and the guest's pause holds one round trip less.
    Monitor.Command layersWithMemory = own != null && cut.mode() == DiskCut.BACKUP_LAYERS && cut.backgroundOn()
        && cut.memoryImage() != null && !cut.layers().isEmpty() ? BackupLayers.transaction(cut.layers()) : null;
    if (!cut.disks().isEmpty()) {
      try {
        if (cut.mode() == DiskCut.INTERNAL_SNAPSHOTS) {
          internal = InternalDiskSnapshots.take(domain, cut.disks().values(), InternalDiskSnapshots.freshName());
        } else if (cut.mode() == DiskCut.BACKUP_LAYERS) {
          if (layersWithMemory == null) BackupLayers.start(cut.monitor(), cut.layers());
        } else {
          snapshotDisks(domain, cut);
        }
      } catch (IOException refused) {
        drop(cut, domain);
        if (cut.mode() == DiskCut.BACKUP_LAYERS) backups.forget(vmId);  // the next cut starts from a full copy
        resumeQuietly(domain, cut.monitor());
        runningOnce.run();
        throw refused;
      }
      if (cut.mode() == DiskCut.OVERLAYS) cut.disks().values().forEach(d -> frozen.put(d.target(), d.file()));
      cut.layers().forEach(l -> frozen.put(l.target(), l.file()));
    }
    // Only a background snapshot lets the guest run before its end (QEMU copies the pages it writes first); a
    // pre-copy one is of the guest as it stops at the end, so the guest must not run meanwhile.
    // With QEMU's own monitor its RESUME event says the guest runs again; libvirt's state may still lag behind
    // the stop that monitor made.
    ResumeWatch.Running running = own != null ? ResumeWatch.resumeOf(own)
        : () -> states.state(domain) == ExtraCalls.STATE_RUNNING;
    ResumeWatch watch = new ResumeWatch(running, cut.backgroundOn() ? runningOnce : () -> { });
    // QEMU's stream goes to the engine once the guest is seen running again: all the capture holds is known by
    // then, and no fallback to a pre-copy snapshot can follow. Asked at every look at the migration.
    PendingCut streamedCut = cut;
    List<DiskSnapshot> diskSnapshots = internal;
    Consumer<ImagePipe> streaming = pipe -> {
      if (handOff.begun()) return;
      long resumedAt = own != null && own.resumedAt() != 0 ? own.resumedAt() : watch.resumedAt();
      // Not seen running yet: only a stream that fills the pipe goes on (QEMU would wait for room, and the snapshot
      // with it), at the price of no fallback if this one fails.
      if (resumedAt == 0 && !pipe.full()) return;
      if (resumedAt != 0) runningOnce.run();
      else resumedAt = System.nanoTime();
      Duration pause = own != null && own.qemuPause() != null ? own.qemuPause()
          : Duration.ofNanos(resumedAt - streamedCut.pausedAtNanos());
      handOff.begin(pipe, new Capture(CaptureMode.BACKGROUND_SNAPSHOT, pause, null, frozen, diskSnapshots));
    };
    Capture memory;
    // If the memory snapshot fails, the disks stay on their new overlays: a layer no checkpoint names, read through
    // as before, and collected with the older ones (a backup layer, likewise, becomes the next one's backing file).
    try {
      memory = snapshotPaused(domain, image, cut, w, ranAgain, layersWithMemory, streaming);
      watch.stop();
      if (memory.mode() == CaptureMode.PRE_COPY && watch.sawRunning()) {
        // Something ran it meanwhile (under load, an earlier snapshot's end can): the memory is of a later instant
        // than the disks and the frames cut at the pause. Better no checkpoint than an inconsistent one.
        throw new IOException(vmId + " ran during its pre-copy snapshot: its memory is not of the instant of its cut"
            + (memory.fallbackReason() == null ? "" : " (no background snapshot: " + memory.fallbackReason() + ")"));
      }
    } catch (DisksRefused refused) {
      drop(cut, domain);  // no copy started: the transaction is all or none
      backups.forget(vmId);  // whatever QEMU found wrong (a bitmap gone?), the next cut starts from a full copy
      throw new IOException(refused.getMessage(), refused.getCause());
    } catch (IOException memoryFailed) {
      try {
        awaitLayers(domain, vmId, cut, w);
      } catch (IOException alsoDisks) {
        memoryFailed.addSuppressed(alsoDisks);
      }
      throw memoryFailed;
    } finally {
      watch.stop();
      // After pre-copy the guest is still stopped; a background snapshot restarted it. Once the caller has been told it
      // runs, the run state is the caller's again: its next cut may have paused the guest while this snapshot's
      // memory was still on its way, and a restart now would let it run inside that cut.
      if (!ranAgain.getAsBoolean()) resumeQuietly(domain, cut.monitor());
      watch.resumedNoLaterThan(System.nanoTime());
      runningOnce.run();
    }
    awaitLayers(domain, vmId, cut, w);
    // Where QEMU's monitor is at hand, its STOP and RESUME events time the pause exactly, as QEMU stopped and
    // restarted the vCPUs; else from the stop's confirmation to libvirt's state saying running, polled.
    Duration pause = own == null ? null : own.qemuPause();
    if (pause == null) {
      long resumedAt = own != null && own.resumedAt() != 0 ? Math.min(own.resumedAt(), watch.resumedAt())
          : watch.resumedAt();
      pause = Duration.ofNanos(resumedAt - cut.pausedAtNanos());
    }
    Capture capture = handOff.begun() ? handOff.capture()
        : new Capture(memory.mode(), pause, memory.fallbackReason(), frozen, internal);
    if (!handOff.begun() && cut.memoryImage() != null && memory.mode() == CaptureMode.BACKGROUND_SNAPSHOT) {
      handOff.begin(cut.memoryImage().pipe(), capture);  // the guest not seen running until the end: all in the pipe
    }
    if (memory.mode() == CaptureMode.BACKGROUND_SNAPSHOT) {
      lastDowntime(domain);  // QEMU's own part of the pause; checks, as for a live checkpoint, that it finished
    }
    return capture;
  }

  /**
   * A cut prepared while the previous snapshot's memory was still on its way had the capability refused (QEMU runs
   * one migration at a time). Under the domain's lock that migration has ended, and the guest has stood still since
   * its pause: a background snapshot now is still of the cut's instant, and lets the guest run again as soon as it
   * has started, where a pre-copy one would hold it paused for a whole copy of its memory. Through libvirt's snapshot
   * job (the cut prepared no image of its own). Still refused: the cut stays what it was.
   */
  private static PendingCut backgroundAfterAll(PendingCut cut) {
    try {
      Qmp.setCapability(cut.domain(), BACKGROUND_SNAPSHOT, true);
    } catch (IOException stillRefused) {
      return cut;
    }
    return cut.backgroundOnAfterAll();
  }

  /** Waits for the cut's backup layers, if it has any (the guest runs meanwhile). */
  private void awaitLayers(Domain domain, String vmId, PendingCut cut, DomainWork w) throws IOException {
    if (!cut.layers().isEmpty()) backups.await(domain, vmId, cut.layers(), () -> w.destroying.get() > 0);
  }

  /**
   * Watches the guest's run state from its own thread while a snapshot runs, and notes when the vCPUs run again; that
   * instant, not libvirt's job statistics, ends the guest's pause (where QEMU's own monitor is at hand, its
   * timestamps time the pause exactly, and its RESUME event is the state polled). Else the state is libvirt's copy of
   * QEMU's (updated from QEMU's STOP and RESUME events): QMP {@code query-status} would be the direct question, but
   * libvirt holds QMP pass-through back while the snapshot job runs (up to the job's end), so it cannot see the
   * restart.
   */
  private static final class ResumeWatch {
    private final Thread thread;
    private volatile boolean stop;
    private volatile long resumedAt;

    /** Whether the guest runs now. */
    interface Running {
      boolean now() throws LibvirtException;

      /** Whether it runs, waiting for it up to about a millisecond (a poll by default). */
      default boolean await() throws LibvirtException, InterruptedException {
        if (now()) return true;
        java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);  // ~1 ms resolution, little load on libvirtd
        return false;
      }
    }

    /** QEMU's own monitor says when the guest runs (its RESUME event): waited for, not polled. */
    static Running resumeOf(QmpSocket own) {
      return new Running() {
        @Override public boolean now() {
          return own.resumedAt() != 0;
        }

        @Override public boolean await() throws InterruptedException {
          // In slices: stop() waits for the watch, and does not interrupt it (the caller's callback may do I/O).
          return own.awaitResume(20_000_000L) || now();
        }
      };
    }

    ResumeWatch(Running running, Runnable onRunning) {
      thread = new Thread(() -> {
        while (!stop) {
          try {
            if (running.await()) {
              resumedAt = System.nanoTime();
              onRunning.run();
              return;
            }
          } catch (InterruptedException interrupted) {
            return;
          } catch (LibvirtException | RuntimeException e) {
            return;  // the snapshot thread resumes the guest and notes the time itself
          }
        }
      }, "resume-watch");
      thread.setDaemon(true);
      thread.start();
    }

    /** Whether it saw the guest running (before {@link #resumedNoLaterThan} sets the time itself). */
    boolean sawRunning() {
      return resumedAt != 0;
    }

    void stop() {
      stop = true;
      try {
        thread.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    void resumedNoLaterThan(long nanos) {
      if (resumedAt == 0) {
        resumedAt = nanos;
      }
    }

    long resumedAt() {
      return resumedAt;
    }

  }

  private static void snapshotDisks(Domain domain, PendingCut cut) throws IOException {
    StringBuilder xml = new StringBuilder("<domainsnapshot><disks>");
    try {
      for (String target : cut.targets()) {
        Path overlay = cut.overlays().get(target);
        if (overlay == null) {
          xml.append("<disk name='").append(target).append("' snapshot='no'/>");
        } else {
          xml.append("<disk name='").append(target).append("' snapshot='external' type='file'>")
              .append("<driver type='qcow2'/><source file='").append(escape(overlay.toString()))
              .append("'/></disk>");
        }
      }
      xml.append("</disks></domainsnapshot>");
      DomainSnapshot snapshot = domain.snapshotCreateXML(xml.toString(), Domain.SnapshotCreateFlags.DISK_ONLY
          | Domain.SnapshotCreateFlags.NO_METADATA | Domain.SnapshotCreateFlags.REUSE_EXT
          | Domain.SnapshotCreateFlags.ATOMIC);
      if (snapshot != null) {
        snapshot.free();
      }
    } catch (LibvirtException e) {
      throw new IOException("disk snapshot of " + nameOf(domain) + " failed: " + e.getMessage(), e);
    }
  }

  private static long virtualSize(Domain domain, DiskSource disk) throws IOException {
    try {
      return domain.blockInfo(disk.target()).getCapacity();
    } catch (LibvirtException e) {
      throw new IOException("cannot read the size of disk " + disk.target() + " of " + nameOf(domain) + ": "
          + e.getMessage(), e);
    }
  }

  /** The guest's writable file disks, by target, with their active file; other disks cannot be cut and refuse. */
  static Map<String, DiskSource> cuttableDisks(Domain domain) throws IOException {
    String xml;
    try {
      xml = domain.getXMLDesc(0);
    } catch (LibvirtException e) {
      throw new IOException("cannot read the domain XML of " + nameOf(domain) + ": " + e.getMessage(), e);
    }
    return cuttableDisks(xml, nameOf(domain));
  }

  static Map<String, DiskSource> cuttableDisks(String domainXml, String name) throws IOException {
    Map<String, DiskSource> disks = new LinkedHashMap<>();
    Matcher block = DISK_BLOCK.matcher(domainXml);
    while (block.find()) {
      String disk = block.group();
      Map<String, String> head = attributes(disk.substring(0, disk.indexOf('>')));
      if (!"disk".equals(head.getOrDefault("device", "disk")) || disk.contains("<readonly/>")
          || disk.contains("<shareable/>")) {
        continue;
      }
      String target = firstAttribute(disk, "target", "dev");
      if (!"file".equals(head.get("type"))) {
        throw new IOException("disk " + target + " of " + name + " is of type " + head.get("type")
            + ": only file disks can be checkpointed");
      }
      String source = firstAttribute(disk, "source", "file");
      String format = firstAttribute(disk, "driver", "type");
      if (source == null || target == null) {
        continue;  // an empty drive
      }
      disks.put(target, new DiskSource(target, Path.of(source), format == null ? "raw" : format));
    }
    return disks;
  }

  /** An attribute of the first element of that name in a disk block (the active layer comes before backingStore). */
  private static String firstAttribute(String disk, String element, String attribute) {
    Matcher m = Pattern.compile("<" + element + "\\s[^>]*>").matcher(disk);
    return m.find() ? attributes(m.group()).get(attribute) : null;
  }

  private static Map<String, String> attributes(String tag) {
    Map<String, String> attributes = new LinkedHashMap<>();
    Matcher m = ATTRIBUTE.matcher(tag);
    while (m.find()) {
      attributes.put(m.group(1), m.group(2).replace("&apos;", "'").replace("&quot;", "\"")
          .replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"));
    }
    return attributes;
  }

  private static String escape(String text) {
    return text.replace("&", "&amp;").replace("'", "&apos;").replace("<", "&lt;").replace(">", "&gt;");
  }

  /** Runs a stopped guest again: on the monitor that stopped it (a QEMU's own), else through libvirt. */
  private static void resumeQuietly(Domain domain, Monitor monitor) {
    if (monitor instanceof QmpSocket own) {
      try {
        own.execute("cont", null);  // a guest already running stays so
      } catch (IOException ignored) {
        // gone with its QEMU
      }
      return;
    }
    resumeQuietly(domain);
  }

  private static void resumeQuietly(Domain domain) {
    try {
      if (domain.getInfo().state == DomainInfo.DomainState.VIR_DOMAIN_PAUSED) {
        domain.resume();
      }
    } catch (LibvirtException ignored) {
      // a guest that is gone or already running
    }
  }

  private static void deleteQuietly(Collection<Path> files) {
    for (Path file : files) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException ignored) {
        // best effort: a leftover overlay is named after its disk
      }
    }
  }

  private Capture snapshot(Domain domain, Path image, DomainWork w) throws IOException {
    String fallbackReason = null;
    if (preferBackgroundSnapshot) {
      boolean enabled = false;
      try {
        Qmp.setCapability(domain, BACKGROUND_SNAPSHOT, true);
        enabled = true;
        takeMemorySnapshot(domain, image, w);
        return new Capture(CaptureMode.BACKGROUND_SNAPSHOT, lastDowntime(domain), null);
      } catch (IOException refused) {
        fallbackReason = refused.getMessage();
        Files.deleteIfExists(image);
      } finally {
        if (enabled) {
          Qmp.setCapability(domain, BACKGROUND_SNAPSHOT, false);
        }
      }
    }
    takeMemorySnapshot(domain, image, w);
    return new Capture(CaptureMode.PRE_COPY, lastDowntime(domain), fallbackReason);
  }

  /** The memory snapshot of a guest stopped by pause(), which switched the capability on if it could. */
  private Capture snapshotPaused(Domain domain, Path image, PendingCut cut, DomainWork w,
                                 java.util.function.BooleanSupplier ranAgain, Monitor.Command disksFirst,
                                 Consumer<ImagePipe> streaming) throws IOException {
    String fallbackReason = cut.backgroundRefusal();
    if (cut.backgroundOn()) {
      try {
        if (cut.memoryImage() != null) {
          migrateInto(domain, cut.memoryImage(), w, disksFirst, streaming);
        } else {
          takeMemorySnapshot(domain, image, cut.targets(), w);
        }
        Qmp.setCapability(domain, BACKGROUND_SNAPSHOT, false);
        return new Capture(CaptureMode.BACKGROUND_SNAPSHOT, Duration.ZERO, null);
      } catch (DisksRefused refused) {
        // A memory snapshot without the disks' is no checkpoint: no fallback. The caller drops the cut (its memory
        // image, the capability).
        Files.deleteIfExists(image);
        throw refused;
      } catch (IOException refused) {
        fallbackReason = refused.getMessage();
        Files.deleteIfExists(image);
        if (cut.memoryImage() != null) cut.memoryImage().discard(domain);  // a file not moved: never started
        capabilityOffQuietly(domain);  // the failure is what counts; a refusal here would only hide it
      }
      // A background snapshot that failed after QEMU restarted the vCPUs: a pre-copy snapshot now would hold a later
      // memory than the disks frozen at the pause. Better no checkpoint than an inconsistent one.
      try {
        // Ran again: QEMU restarted it, or the caller did once told it runs (and may do so any moment from now).
        if (ranAgain.getAsBoolean() || states.state(domain) != STATE_PAUSED) {
          throw new IOException("the background snapshot of " + nameOf(domain) + " failed after the guest ran again,"
              + " so its memory as of the pause is lost: " + fallbackReason);
        }
      } catch (LibvirtException e) {
        throw new IOException("cannot read the state of " + nameOf(domain) + ": " + e.getMessage(), e);
      }
    }
    takeMemorySnapshot(domain, image, cut.targets(), w);
    return new Capture(CaptureMode.PRE_COPY, Duration.ZERO, fallbackReason);
  }

  private static void capabilityOffQuietly(Domain domain) {
    try {
      Qmp.setCapability(domain, BACKGROUND_SNAPSHOT, false);
    } catch (IOException ignored) {
      // a guest that is gone takes the capability with it
    }
  }

  private void takeMemorySnapshot(Domain domain, Path image, DomainWork w) throws IOException {
    try {
      takeMemorySnapshot(domain, image, diskTargets(domain.getXMLDesc(0)), w);
    } catch (LibvirtException e) {
      throw new IOException("cannot read the domain XML of " + nameOf(domain) + ": " + e.getMessage(), e);
    }
  }

  /**
   * A memory snapshot of the domain, its libvirt metadata discarded; refused once a destroy of the domain waits (a
   * background snapshot the destroy aborted is not followed by a pre-copy one).
   */
  private void takeMemorySnapshot(Domain domain, Path image, List<String> targets, DomainWork w)
      throws IOException {
    refuseIfDestroying(w, nameOf(domain));
    StringBuilder xml = new StringBuilder("<domainsnapshot><name>vmqsc-")
        .append(UUID.randomUUID()).append("</name><memory snapshot='external' file='")
        .append(image).append("'/><disks>");
    try {
      for (String disk : targets) {
        xml.append("<disk name='").append(disk).append("' snapshot='no'/>");  // memory only: see class comment
      }
      xml.append("</disks></domainsnapshot>");
      DomainSnapshot snapshot = domain.snapshotCreateXML(xml.toString(), Domain.SnapshotCreateFlags.LIVE);
      // The image is ours now; libvirt's record of the snapshot is not needed and would pin the file.
      snapshot.delete(DomainSnapshot.SnapshotDeleteFlags.METADATA_ONLY);
      snapshot.free();
    } catch (LibvirtException e) {
      throw new IOException("live memory snapshot of " + nameOf(domain) + " failed: " + e.getMessage(), e);
    }
    if (!Files.isRegularFile(image)) {
      throw new IOException("libvirt reported a snapshot of " + nameOf(domain) + " but wrote no memory image");
    }
  }

  private static List<String> diskTargets(String domainXml) {
    List<String> targets = new ArrayList<>();
    Matcher m = DISK_TARGET.matcher(domainXml);
    while (m.find()) {
      targets.add(m.group(1));
    }
    return targets;
  }

  /** QEMU's downtime of the migration that just completed. */
  private static Duration lastDowntime(Domain domain) throws IOException {
    JsonObject status = Qmp.execute(domain, "query-migrate", null);
    if (!status.has("downtime")) {
      throw new IOException("QEMU reported no downtime for the snapshot of " + nameOf(domain) + ": " + status);
    }
    return Duration.ofMillis(status.get("downtime").getAsLong());
  }

  @Override public void restore(String vmId, Path verifiedImage) throws IOException {
    restore(vmId, verifiedImage, List.of(), false);
  }



  /**
   * Restores memory and disks of one checkpoint whose disk states are internal snapshots of the disks' own files:
   * every snapshot is checked present first (nothing is touched otherwise), then the domain is destroyed, each file
   * reverted to its snapshot (the vmqsc snapshots taken after it deleted: the execution they belong to is
   * discarded), and the memory image restored over the same files.
   */
  @Override public void restore(String vmId, Path verifiedImage, List<DiskSnapshot> disks) throws IOException {
    restore(vmId, verifiedImage, disks, false);
  }

  @Override public void restore(String vmId, Path verifiedImage, List<DiskSnapshot> disks, boolean paused)
      throws IOException {
    InternalDiskSnapshots.checkPresent(disks);
    try {
      String dxml = restoreEdit.apply(ExtraCalls.domainXml(connect, verifiedImage.toString()));
      destroyThen(vmId, () -> {
        InternalDiskSnapshots.revert(disks);
        ExtraCalls.restore(connect, verifiedImage.toString(), dxml,
            paused ? ExtraCalls.RESTORE_PAUSED : ExtraCalls.RESTORE_RUNNING);
      });
      Domain restored = domain(vmId);
      if (!paused && restored.getInfo().state == DomainInfo.DomainState.VIR_DOMAIN_PAUSED) {
        restored.resume();
      }
    } catch (LibvirtException e) {
      throw new IOException("restore of " + vmId + " from " + verifiedImage.getFileName() + " failed: "
          + e.getMessage(), e);
    }
  }

  /**
   * Deletes internal disk snapshots of a checkpoint behind the recovery line, through the domain's QEMU (the files
   * are open there); nothing when the domain does not run on this host (the host that runs it deletes them).
   */
  @Override public void forgetDiskSnapshots(String vmId, List<DiskSnapshot> disks) throws IOException {
    Domain running = runningDomain(vmId);
    if (running == null || disks.isEmpty()) return;
    DomainWork w = beginSnapshotWork(vmId);
    try {
      InternalDiskSnapshots.delete(running, disks);
    } finally {
      w.lock.unlock();
    }
  }

  /**
   * Restores memory and disks of one checkpoint. First, before anything is touched, every frozen file's chain is
   * read (a missing file fails here, and a running guest is left alone) and the image's domain XML must name each
   * target. Then a new overlay per disk, next to its frozen file, and the image is restored with the domain XML's
   * disk sources pointing at the new overlays.
   */
  @Override public Map<String, Path> restore(String vmId, Path verifiedImage, Map<String, Path> frozenDisks)
      throws IOException {
    return restore(vmId, verifiedImage, frozenDisks, xml -> xml, false);
  }

  /**
   * As {@link #restore(String, Path, Map)}, with the image's domain XML changed by {@code edit} (host-specific
   * details: where its NIC's backend is now) and the domain left paused when {@code paused}.
   */
  public Map<String, Path> restore(String vmId, Path verifiedImage, Map<String, Path> frozenDisks,
                                   java.util.function.UnaryOperator<String> edit, boolean paused) throws IOException {
    // A cut of the instance being replaced is moot, and so are the layers its disk copies were taken against.
    drop(pending.remove(vmId), null);
    drop(prepared.remove(vmId), null);
    backups.forget(vmId);
    int flags = paused ? ExtraCalls.RESTORE_PAUSED : ExtraCalls.RESTORE_RUNNING;
    Map<String, DiskChains.Layer> tops = new LinkedHashMap<>();
    for (Map.Entry<String, Path> disk : frozenDisks.entrySet()) {
      try {
        tops.put(disk.getKey(), DiskChains.chain(disk.getValue()).get(0));
      } catch (IOException e) {
        throw new IOException("cannot restore " + vmId + ": disk " + disk.getKey() + ": " + e.getMessage(), e);
      }
    }
    String xml;
    try {
      xml = ExtraCalls.domainXml(connect, verifiedImage.toString());
    } catch (LibvirtException e) {
      throw new IOException("cannot read the domain XML in " + verifiedImage.getFileName() + ": " + e.getMessage(), e);
    }
    Map<String, Path> overlays = new LinkedHashMap<>();
    boolean restored = false;
    try {
      for (Map.Entry<String, DiskChains.Layer> top : tops.entrySet()) {
        DiskChains.Layer frozen = top.getValue();
        Path overlay = DiskChains.overlayNextTo(frozen.file(), "run");
        DiskChains.createOverlay(overlay, frozen.file(), frozen.format(), frozen.virtualSize());
        overlays.put(top.getKey(), overlay);
      }
      String dxml = edit.apply(withDiskSources(xml, overlays, verifiedImage));
      destroyThen(vmId, () -> ExtraCalls.restore(connect, verifiedImage.toString(), dxml, flags));
      restored = true;
      return overlays;
    } catch (LibvirtException e) {
      throw new IOException("restore of " + vmId + " from " + verifiedImage.getFileName() + " failed: "
          + e.getMessage(), e);
    } finally {
      if (!restored) {
        deleteQuietly(overlays.values());
      }
    }
  }

  /**
   * Destroys the domain if it runs, once neither this driver nor libvirt works on a snapshot of it. libvirtd 9.0 can
   * exit when a domain is destroyed while it still works on a snapshot of it — a background memory snapshot's job, or
   * the discard of a snapshot's metadata — its log ending with "qemuSnapshotDiscardMetadata: Failed to unlink" and
   * "domain is not running" (the guests it ran then go on running outside it). So: from now on no snapshot of the
   * domain starts; a job libvirt runs on it is aborted (a background snapshot stops, and its checkpoint fails); the
   * destroy waits for the checkpoint thread to be done with libvirt (the domain's lock, which that work holds) and
   * for libvirt to report no job on the domain (also one a client that died left running), and only then destroys.
   * A cut prepared or paused for a checkpoint is dropped.
   *
   * @throws IOException when that work did not end within a minute: the domain is left running, under libvirt
   */
  public void destroy(String vmId) throws IOException {
    backups.forget(vmId);
    try {
      destroyThen(vmId, () -> { });
    } catch (LibvirtException e) {
      throw new IOException("cannot destroy " + vmId + ": " + e.getMessage(), e);
    }
  }

  private interface LibvirtCall {
    void run() throws LibvirtException, IOException;
  }

  /** {@link #destroy}, then {@code then} (a restore of the domain) before any snapshot work on it may start. */
  private void destroyThen(String vmId, LibvirtCall then) throws IOException, LibvirtException {
    DomainWork w = work(vmId);
    w.destroying.incrementAndGet();
    try {
      // Only once the destroy is marked: a cut whose call on the domain's own monitor fails as it closes then sees
      // the destroy and leaves its background snapshot to end with QEMU. Closed before, the cut cancelled it (the
      // cancel QEMU 7.2 can hang on), and held the domain's lock until the destroy gave up.
      closeOwnMonitor(vmId);
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DESTROY_WAIT_MILLIS);
      Domain running = runningDomain(vmId);
      lockAborting(w, running, vmId, deadline);
      try {
        drop(pending.remove(vmId), null);
        drop(prepared.remove(vmId), null);
        if (running != null) {
          awaitNoJob(running, vmId, deadline);
          try {
            running.destroy();
          } catch (LibvirtException e) {
            if (isActive(running)) throw e;  // else it ended by itself meanwhile
          }
        }
        then.run();
      } finally {
        w.lock.unlock();
      }
    } finally {
      w.destroying.decrementAndGet();
    }
  }

  /** The domain if it runs, else null. */
  private Domain runningDomain(String vmId) {
    try {
      Domain domain = domain(vmId);
      return domain.isActive() == 1 ? domain : null;
    } catch (IOException | LibvirtException noSuchDomain) {
      return null;
    }
  }

  private static boolean isActive(Domain domain) {
    try {
      return domain.isActive() == 1;
    } catch (LibvirtException gone) {
      return false;
    }
  }

  /** Takes the domain's lock, aborting meanwhile the job its snapshot work waits for (its holder then lets go). */
  private static void lockAborting(DomainWork w, Domain domain, String vmId, long deadline) throws IOException {
    try {
      while (!w.lock.tryLock(20, TimeUnit.MILLISECONDS)) {
        if (domain != null) abortJob(domain);
        if (System.nanoTime() > deadline) {
          throw new IOException("the snapshot work on " + vmId + " did not end within " + DESTROY_WAIT_MILLIS / 1000
              + " s: not destroyed");
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for the snapshot work on " + vmId + " to end", e);
    }
  }

  /** Waits until libvirt runs no job on the domain, aborting the one it runs. */
  private static void awaitNoJob(Domain domain, String vmId, long deadline) throws IOException {
    while (abortJob(domain)) {
      if (System.nanoTime() > deadline) {
        throw new IOException("libvirt's job on " + vmId + " did not end within " + DESTROY_WAIT_MILLIS / 1000
            + " s of its abort: not destroyed");
      }
      java.util.concurrent.locks.LockSupport.parkNanos(20_000_000);
      if (Thread.interrupted()) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for libvirt's job on " + vmId + " to end");
      }
    }
  }

  /** Aborts the job libvirt runs on the domain, if any; whether there was one. */
  private static boolean abortJob(Domain domain) {
    try {
      if (domain.getJobInfo().getType() == JOB_NONE) return false;
    } catch (LibvirtException gone) {
      return false;  // not running any more: no job either
    }
    try {
      domain.abortJob();
    } catch (LibvirtException ended) {
      // it ended meanwhile, or cannot be aborted: waited for
    }
    return true;
  }

  /** The domain XML with each listed disk's source replaced by a qcow2 file, its old backing chain dropped. */
  static String withDiskSources(String xml, Map<String, Path> sources, Path image) throws IOException {
    StringBuilder out = new StringBuilder();
    Matcher block = DISK_BLOCK.matcher(xml);
    int at = 0;
    java.util.Set<String> done = new java.util.HashSet<>();
    while (block.find()) {
      String disk = block.group();
      String target = firstAttribute(disk, "target", "dev");
      Path source = sources.get(target);
      out.append(xml, at, block.start());
      if (source != null) {
        // One backingStore tree per disk, nested once per layer: cut from its first opening to its last closing tag.
        disk = disk.replaceFirst("(?s)<backingStore[\\s>].*</backingStore>", "").replaceAll("<backingStore\\s*/>", "")
            .replaceFirst("<source\\s[^>]*?/>|<source\\s[^>]*>.*?</source>",
                Matcher.quoteReplacement("<source file='" + escape(source.toString()) + "'/>"))
            .replaceFirst("(<driver\\s[^>]*type=)['\"][^'\"]*['\"]", "$1'qcow2'");
        done.add(target);
      }
      out.append(disk);
      at = block.end();
    }
    out.append(xml.substring(at));
    for (String target : sources.keySet()) {
      if (!done.contains(target)) {
        throw new IOException("the domain XML in " + image.getFileName() + " has no disk " + target);
      }
    }
    return out.toString();
  }

  /**
   * Collection on the running guest's disks: in each disk's chain, the frozen files below the oldest of
   * {@code keep} (frozen files of the checkpoints still needed) are merged into the chain's bottom file by QEMU
   * ({@code virDomainBlockCommit}, relative backing names) and deleted; the kept chains read as before. The bottom
   * file, the disk's own volume, stays. Returns the deleted files per target.
   */
  public Map<String, List<Path>> collectDisks(String vmId, Collection<Path> keep) throws IOException {
    DomainWork w = beginSnapshotWork(vmId);  // a merge is work on the domain's snapshots too
    try {
      return collectDisks(vmId, domain(vmId), keep);
    } finally {
      w.lock.unlock();
    }
  }

  private Map<String, List<Path>> collectDisks(String vmId, Domain domain, Collection<Path> keep) throws IOException {
    Map<String, List<Path>> removed = new LinkedHashMap<>();
    for (DiskSource disk : cuttableDisks(domain).values()) {
      DiskChains.Plan plan = DiskChains.plan(DiskChains.chain(disk.file()), keep);
      if (plan == null) {
        continue;
      }
      String top = plan.removable().get(0).file().toString();
      String base = plan.base().file().toString();
      try {
        domain.blockCommit(disk.target(), base, top, 0, Domain.BlockCommitFlags.RELATIVE);
        long deadline = System.currentTimeMillis() + JOB_TIMEOUT_MILLIS;
        while (true) {
          org.libvirt.DomainBlockJobInfo job = domain.getBlockJobInfo(disk.target(), 0);
          if (job.type == 0 && job.end == 0) {
            break;  // the commit finished and libvirt dropped the job
          }
          if (System.currentTimeMillis() > deadline) {
            domain.blockJobAbort(disk.target(), 0);
            throw new IOException("merging the old layers of " + disk.target() + " of " + vmId + " took over "
                + JOB_TIMEOUT_MILLIS / 1000 + " s; aborted");
          }
          Thread.sleep(20);
        }
      } catch (LibvirtException e) {
        throw new IOException("merging the old layers of " + disk.target() + " of " + vmId + " failed: "
            + e.getMessage(), e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while merging the disk layers of " + vmId, e);
      }
      DiskChains.Layer kept = DiskChains.chain(plan.oldestKept().file()).get(0);
      if (kept.backing() == null || !Files.isSameFile(kept.backing(), plan.base().file())) {
        throw new IOException("after the merge " + kept.file() + " sits on " + kept.backing() + ", not on "
            + plan.base().file() + "; nothing deleted");
      }
      List<Path> files = new ArrayList<>();
      for (DiskChains.Layer layer : plan.removable()) {
        Files.deleteIfExists(layer.file());
        files.add(layer.file());
      }
      removed.put(disk.target(), files);
    }
    return removed;
  }

  /**
   * Page-sampling only: the dirty-bitmap mode crashes QEMU under TCG. It samples the most pages QEMU allows (4096
   * per GiB); the default 512 misses a small working set in a small guest most of the time.
   */
  @Override public double dirtyRateMiBPerSecond(String vmId, Duration sample) throws IOException {
    Domain domain = domain(vmId);
    JsonObject arguments = new JsonObject();
    arguments.addProperty("calc-time", Math.max(1, sample.toSeconds()));
    arguments.addProperty("mode", "page-sampling");
    arguments.addProperty("sample-pages", 4096);
    Qmp.execute(domain, "calc-dirty-rate", arguments);
    long deadline = System.currentTimeMillis() + sample.toMillis() + 10_000;
    while (System.currentTimeMillis() < deadline) {
      JsonObject result = Qmp.execute(domain, "query-dirty-rate", null);
      if ("measured".equals(result.get("status").getAsString())) {
        return result.get("dirty-rate").getAsDouble();  // QEMU reports MB/s (MiB)
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while measuring the dirty rate of " + vmId, e);
      }
    }
    throw new IOException("QEMU did not finish measuring the dirty rate of " + vmId);
  }

  private static String nameOf(Domain domain) {
    try {
      return domain.getName();
    } catch (LibvirtException e) {
      return "the domain";
    }
  }

  @Override public void close() {
    List.copyOf(ownMonitors.keySet()).forEach(this::closeOwnMonitor);
    try {
      connect.close();
    } catch (LibvirtException ignored) {
      // closing a dead connection
    }
  }
}
