package org.vmqsc.agent.process;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import org.vmqsc.agent.driver.Capture;
import org.vmqsc.agent.driver.GuestMachines;
import org.vmqsc.agent.engine.CheckpointStats;
import org.vmqsc.agent.net.Ethernet;
import org.vmqsc.agent.net.GuestNics;
import org.vmqsc.agent.store.CheckpointKey;
import org.vmqsc.agent.store.SafeFiles;
import org.vmqsc.agent.wire.WireMessages.VmStatus;
import org.vmqsc.protocol.BoundaryRecord;

/**
 * The real guests of one group on one agent: whole machines ({@link GuestMachines}, QEMU under libvirt) whose NICs
 * are this agent's {@link GuestNics}. {@link GroupRuntime} hands them to this class wherever real guests differ from
 * simulated ones; everything here runs on the agent's loop thread, but for the snapshots and the machines' starts.
 *
 * <p><b>The instant of a checkpoint.</b> A checkpoint's index must split the guest's frames exactly: every frame
 * sent before the snapshot carries the old index, every frame after it the new one. A frame stamped one period late
 * would, after a rollback to that checkpoint, be neither resent (the restored guest sent it already) nor replayed
 * (the protocol takes it for a send after the line): lost. One stamped early could be delivered into the receiver's
 * checkpoint of its index: an orphan. So before the node may move a VM's index — a boundary, or a frame with a
 * higher index that forces a checkpoint — the runtime calls {@link #cutAround}: the guest is paused, every frame it
 * sent so far is taken ({@link GuestNics#cut}) and stamped with the old index, and only then does the node act. The
 * snapshot is of the paused guest, which runs again as soon as the hypervisor has started the snapshot.
 *
 * <p><b>Pauses.</b> A guest runs only when nothing holds it: its cut, its checkpoint starting, its group blocked (no
 * lease, or a recovery under way), or its restore waiting for its replays. Frames for a held guest wait here and go
 * in, in order, when it runs again.
 *
 * <p><b>What a real guest cannot do.</b> It is not piecewise deterministic: replaying the messages it received
 * does not bring it back to a later state. Its restore points are its checkpoints only, so it must be SI (a
 * checkpoint at every index; an MI VM's state between checkpoints is rebuilt from its log), a VM failure on a live
 * host is not rebuilt from the volatile log, and it does not live-migrate.
 */
final class RealGuests implements AutoCloseable {

  /** The group's NIC addresses: 52:54:00:77:00:&lt;VM number&gt;, in the range QEMU's own MACs come from. */
  static long mac(int vm) {
    return 0x5254_0077_0000L | (vm & 0xFFFF);
  }

  /** Why a guest must not run (besides its snapshots starting, which are counted). */
  private enum Hold { CUT, BLOCKED, RESTORED }

  /** Disk layers behind the line a running guest's chain may hold before they are merged. */
  static final int LAYERS_BEFORE_COLLECTION = 8;

  private static final class Guest {
    final int vm;
    final String name;
    final Set<Hold> holds = new HashSet<>();
    /** Snapshots whose instant has been cut and whose guest has not run again since. */
    int starting;
    /**
     * Whether its vCPUs may be running: false once paused by this class; true again when it resumes them, or when
     * a snapshot reports that the hypervisor restarted them (set on the snapshot's thread, the moment it knows).
     */
    volatile boolean machineRunning;
    /** When (System.nanoTime) its vCPUs were last stopped by a cut or a hold (a machine starts paused). */
    volatile long pausedAtNanos = System.nanoTime();
    /** How long its last cut waited for it to take the frames written into its NIC, before it was paused. */
    volatile long nicWaitNanos;
    final ArrayDeque<byte[]> waiting = new ArrayDeque<>();
    long position, sent, received;
    /**
     * Whether its NIC takes frames: a booting guest's driver is not loaded yet, and QEMU drops what it cannot
     * hand it. The first frame the guest sends says it is.
     */
    boolean nicUp;
    /**
     * The stable checkpoint whose state the guest is still in, having not run since it was restored from it; null
     * once it runs. A checkpoint taken meanwhile (a restored VM catching up with the clock) is that one again.
     */
    String unchangedSince;
    /** Cuts so far: a snapshot is of the instant of the cut it follows. */
    long cuts;
    Snapshot lastSnapshot;
    /** Its snapshots on this host by index: where their disk states were copied (collection keeps the line's). */
    final java.util.TreeMap<Long, Path> disksByIndex = new java.util.TreeMap<>();

    Guest(int vm, String name) {
      this.vm = vm;
      this.name = name;
    }
  }

  /**
   * One snapshot of a guest and the checkpoints it stands for: its own, and those the node took at the same
   * instant after it, which learn what it learns. Called on the snapshot's and the flusher's threads.
   */
  private static final class Snapshot implements GuestCheckpoints.Progress {
    final long cut;
    /** Counted down once the guest runs again after this snapshot's instant (or the snapshot failed). */
    final java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
    private final List<GuestCheckpoints.Progress> checkpoints = new ArrayList<>();
    private Long stagedBytes;
    private String stableLocation;
    private Exception failure;
    /** Loop thread only: whether the loop has taken note that the guest runs again after it (see {@link #started}). */
    boolean noted;

    Snapshot(long cut, GuestCheckpoints.Progress first) {
      this.cut = cut;
      checkpoints.add(first);
    }

    synchronized void follow(GuestCheckpoints.Progress p) {
      checkpoints.add(p);
      if (failure != null) p.failed(failure);
      if (stagedBytes != null) p.staged(stagedBytes);
      if (stableLocation != null) p.stable(stableLocation);
    }

    @Override public synchronized void staged(long storedBytes) {
      stagedBytes = storedBytes;
      for (GuestCheckpoints.Progress p : checkpoints) p.staged(storedBytes);
    }

    @Override public synchronized void stable(String location) {
      stableLocation = location;
      for (GuestCheckpoints.Progress p : checkpoints) p.stable(location);
    }

    @Override public synchronized void failed(Exception e) {
      failure = e;
      for (GuestCheckpoints.Progress p : checkpoints) p.failed(e);
    }
  }

  private final String hostUuid;
  private final GuestMachines machines;
  private final GuestNics nics;
  private final GuestCheckpoints checkpoints;
  private final EventLog events;
  private final Consumer<Runnable> onLoop;
  private final Path scratch;
  private final Map<Integer, Guest> guests = new HashMap<>();
  private final ExecutorService snapshots = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "vmqsc-guest-snapshot");
    t.setDaemon(true);
    return t;
  });
  /** Machines are started here one at a time, off the loop (see {@link #boot}). */
  private final ExecutorService boots = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "vmqsc-guest-boot");
    t.setDaemon(true);
    return t;
  });
  /** A machine the boot thread is starting, and whether its boot has been called off since. */
  private static final class Boot {
    final String name;
    boolean calledOff;

    Boot(String name) {
      this.name = name;
    }
  }

  /** VMs whose machine the boot thread is starting. */
  private final Map<Integer, Boot> booting = new HashMap<>();
  private final int groupSize;
  private boolean blocked;
  /** Set by {@link #close}; read by the boot thread, which then destroys what it started. */
  private volatile boolean closed;

  /**
   * @param onLoop  runs a task on the loop thread (skipped once the group is closed)
   * @param scratch where restored memory images wait for the hypervisor (owner-only)
   */
  RealGuests(String hostUuid, int groupSize, GuestMachines machines, GuestNics nics, GuestCheckpoints checkpoints,
             EventLog events, Consumer<Runnable> onLoop, Path scratch) throws IOException {
    this.hostUuid = hostUuid;
    this.groupSize = groupSize;
    this.machines = machines;
    this.nics = nics;
    this.checkpoints = checkpoints;
    this.events = events;
    this.onLoop = onLoop;
    this.scratch = SafeFiles.ownerOnlyDirectory(scratch);
  }

  /** The libvirt name of a VM's guest: one per VM, whichever agent runs it. */
  static String name(String vmUuid) {
    return "vmqsc-" + vmUuid;
  }

  boolean running(int vm) {
    return guests.containsKey(vm);
  }

  long position(int vm) {
    Guest g = guests.get(vm);
    if (g == null) throw new IllegalStateException("VM " + vm + " does not run on " + hostUuid);
    return g.position;
  }

  List<Integer> holdings() {
    return List.copyOf(guests.keySet());
  }

  List<VmStatus> status(java.util.function.IntUnaryOperator incarnation, java.util.function.IntToLongFunction index) {
    List<VmStatus> out = new ArrayList<>();
    for (Guest g : guests.values()) {
      out.add(new VmStatus(g.vm, index.applyAsLong(g.vm), incarnation.applyAsInt(g.vm), g.position, g.sent, g.received));
    }
    return out;
  }

  // ---- lifecycle -----------------------------------------------------------------------------------------------

  /**
   * Starts VM {@code vm}'s guest here, paused: its first checkpoint (the node's start) is of the machine as it
   * boots, and it runs once that checkpoint has started. The machine starts on the boot thread, not the loop:
   * libvirt can take seconds to start one on a busy host, and the loop carries every other guest's frames and
   * boundaries meanwhile (frames for this VM wait: it is placed here and does not run yet). On the loop again,
   * {@code started} runs once the guest is in place, or {@code failed} with why it is not; neither runs when the
   * boot was called off ({@link #stop}, {@link #close}) — the machine is destroyed then.
   */
  void boot(int vm, String vmUuid, Runnable started, Consumer<Exception> failed) throws IOException {
    String name = name(vmUuid);
    InetSocketAddress relayEnd = nics.attach(vm);
    booting.put(vm, new Boot(name));
    boots.execute(() -> {
      InetSocketAddress guestEnd = null;
      Exception error = null;
      try {
        guestEnd = machines.start(name, vm, groupSize, relayEnd);
      } catch (IOException | RuntimeException e) {
        error = e;
      }
      if (closed) { // the loop runs nothing of this group any more: nobody else would destroy the machine
        if (error == null) destroyMachine(vm, name);
        return;
      }
      InetSocketAddress end = guestEnd;
      Exception why = error;
      onLoop.accept(() -> machineStarted(vm, name, end, why, started, failed));
    });
  }

  /** On the loop: the boot thread is done with VM {@code vm}'s machine. */
  private void machineStarted(int vm, String name, InetSocketAddress guestEnd, Exception error, Runnable started,
                              Consumer<Exception> failed) {
    Boot boot = booting.remove(vm);
    if (error != null) {
      nics.detach(vm);
      if (boot != null && !boot.calledOff) failed.accept(error);
      return;
    }
    if (boot == null || boot.calledOff) {
      nics.detach(vm);
      destroyMachine(vm, name);
      return;
    }
    nics.connect(vm, guestEnd);
    Guest g = new Guest(vm, name);
    g.holds.add(Hold.CUT); // started paused: its first checkpoint is of this instant
    if (blocked) g.holds.add(Hold.BLOCKED);
    guests.put(vm, g);
    started.run();
  }

  /** Whether VM {@code vm}'s machine is being started here (see {@link #boot}). */
  boolean booting(int vm) {
    Boot boot = booting.get(vm);
    return boot != null && !boot.calledOff;
  }

  /** Node's start of {@code vm} is done: the boot's hold goes (its checkpoint, if it started, holds it on). */
  void booted(int vm) {
    Guest g = guests.get(vm);
    if (g != null) release(g, Hold.CUT);
  }

  /** The guest goes (evicted, the group left this host, the host was fenced). */
  void stop(int vm, String reason) {
    Boot boot = booting.get(vm);
    if (boot != null) boot.calledOff = true; // its machine goes as soon as it has started
    Guest g = guests.remove(vm);
    if (g == null) return;
    nics.detach(vm);
    destroyMachine(vm, g.name);
    events.emit("vm_stop", "vm", vm, "host", hostUuid, "reason", reason);
  }

  /**
   * Destroys a machine; a snapshot of it under way is ended first (see {@link GuestMachines#destroy}), so its
   * checkpoint may fail. Called on the loop and, for a machine started after the close, on the boot thread.
   */
  private void destroyMachine(int vm, String name) {
    try {
      machines.destroy(name);
    } catch (IOException e) {
      events.emit("guest_destroy_failed", "vm", vm, "host", hostUuid, "error", e.getMessage());
    }
  }

  /** Nothing of the group may run (no lease, or a recovery holds it): every guest pauses, its frames are taken. */
  void block() {
    blocked = true;
    for (Guest g : guests.values()) {
      hold(g, Hold.BLOCKED);
      cut(g);
    }
  }

  void unblock() {
    blocked = false;
    for (Guest g : List.copyOf(guests.values())) release(g, Hold.BLOCKED);
  }

  /**
   * Runs {@code nodeCall} — which may move the indices of {@code vms} — with those guests paused and every frame
   * they sent before taken (see the class comment). Guests whose checkpoint did not start run again after it.
   */
  void cutAround(Collection<Integer> vms, Runnable nodeCall) {
    List<Guest> cut = new ArrayList<>();
    for (int vm : vms) {
      Guest g = guests.get(vm);
      if (g == null) continue;
      awaitStarted(g);
      cut.add(g);
    }
    // Everything before the stops first, then the stops: no guest waits paused for another's preparation.
    for (Guest g : cut) {
      if (!g.machineRunning) continue;
      try {
        machines.prepareCut(g.name);
      } catch (IOException e) {
        events.emit("guest_prepare_failed", "vm", g.vm, "host", hostUuid, "error", e.getMessage());
      }
    }
    // What was written into each NIC reaches its guest while all still run, and again right before that guest's own
    // stop: a guest cut before it hands on what it sent, which may be written into this one's NIC.
    for (Guest g : cut) {
      if (g.machineRunning) nics.awaitTakenEarly(g.vm);
    }
    for (Guest g : cut) {
      if (g.machineRunning) awaitTaken(g);
      hold(g, Hold.CUT);
      cut(g);
    }
    try {
      nodeCall.run();
    } finally {
      for (Guest g : cut) if (guests.get(g.vm) == g) release(g, Hold.CUT);
    }
  }

  /**
   * Waits for the guest to take what was written into its NIC (see {@link GuestNics#awaitTaken}); a cut that has to
   * go on without it says so: those receipts are counted in the checkpoint but reach the guest after it.
   */
  private void awaitTaken(Guest g) {
    GuestNics.Taken taken = nics.awaitTaken(g.vm);
    g.nicWaitNanos = taken.waitedNanos();
    if (taken.untakenBytes() > 0) {
      events.emit("frames_untaken_at_cut", "vm", g.vm, "host", hostUuid, "bytes", taken.untakenBytes(), "waited_ms",
          taken.waitedNanos() / 1_000_000);
    }
  }

  // ---- frames --------------------------------------------------------------------------------------------------

  /**
   * A frame VM {@code from}'s guest sent, counted (it moves the guest's position). Returns true for its first that
   * is not an announcement: its NIC is up now, and frames that waited for it may go in (those delivered already go
   * in here). A restored guest's NIC announces itself (QEMU's RARP, the driver's gratuitous ARP) whether or not
   * anything in the guest listens yet: a guest restored still booting would lose what came in then.
   */
  boolean sent(int from, byte[] frame) {
    Guest g = guests.get(from);
    if (g == null) return false;
    g.sent++;
    g.position++;
    if (g.nicUp || Ethernet.isAnnouncement(frame)) return false;
    g.nicUp = true;
    if (!held(g)) flushWaiting(g);
    return true;
  }

  /** Whether VM {@code vm}'s NIC takes frames (until then the node must not deliver to it: they would be lost). */
  boolean nicUp(int vm) {
    Guest g = guests.get(vm);
    return g != null && g.nicUp;
  }

  /** Hands a frame to the guest now, or when it runs again. */
  void deliver(int vm, byte[] frame) {
    Guest g = guests.get(vm);
    if (g == null) throw new IllegalStateException("VM " + vm + " does not run on " + hostUuid);
    g.received++;
    g.position++;
    if (!held(g) && g.nicUp) nics.toGuest(vm, frame);
    else g.waiting.addLast(frame);
  }

  /** Frames delivered to a guest while it was held or its NIC was not up go in, in order. */
  private void flushWaiting(Guest g) {
    for (byte[] f; (f = g.waiting.pollFirst()) != null; ) nics.toGuest(g.vm, f);
  }

  // ---- checkpoints ---------------------------------------------------------------------------------------------

  /**
   * Snapshots the guest at the instant it was paused by its cut. The memory goes through the engine into staging
   * and on to stable storage, the disk state straight to stable storage next to it.
   */
  void checkpoint(BoundaryRecord r, CheckpointKey key, GuestCheckpoints.Progress progress) {
    Guest g = guests.get(r.vm());
    if (g == null) throw new IllegalStateException("VM " + r.vm() + " does not run on " + hostUuid);
    if (!g.waiting.isEmpty()) {
      // Frames counted as received before this instant still wait for the guest (a restored guest whose NIC was not
      // up at its checkpoint keeps its replays until it sends): a checkpoint without them would lose them after a
      // rollback to it. Better none; the next one, once they are in, stands for it.
      events.emit("frames_waiting_at_cut", "vm", g.vm, "index", r.index(), "host", hostUuid, "frames",
          g.waiting.size(), "held_by", g.holds + (g.starting > 0 ? " and " + g.starting + " snapshot(s) starting" : ""),
          "nic_up", g.nicUp, "restored_from", g.unchangedSince == null ? "" : g.unchangedSince);
      progress.failed(new IOException("VM " + r.vm() + "'s checkpoint " + r.index() + " refused: " + g.waiting.size()
          + " frames counted before it still wait for its guest (held by " + g.holds + ", NIC "
          + (g.nicUp ? "up" : "not up") + ")"));
      return;
    }
    if (g.unchangedSince != null) {
      // Not run since its restore: this checkpoint is the restored one, already on stable storage, memory and disks.
      String location = g.unchangedSince;
      progress.staged(0);
      progress.stable(location);
      events.emit("guest_snapshot", "vm", r.vm(), "index", r.index(), "host", hostUuid, "mode", "unchanged",
          "same_as", location);
      return;
    }
    if (g.machineRunning) {
      // Every path that moves an index cuts first; a checkpoint of a running guest would stamp frames late. Say so.
      events.emit("checkpoint_uncut", "vm", r.vm(), "index", r.index(), "host", hostUuid);
      pauseMachine(g);
    }
    Snapshot last = g.lastSnapshot;
    if (last != null && last.cut == g.cuts) {
      // No cut since the last snapshot started: the node moved the index again at the same instant (a guest
      // catching up with the clock takes one checkpoint per period it missed). Same instant, same state.
      last.follow(progress);
      return;
    }
    g.starting++;
    Snapshot snapshot = new Snapshot(g.cuts, progress);
    g.lastSnapshot = snapshot;
    Map<String, String> attributes = Map.of("guest", "real", "guest.position", Long.toString(g.position),
        "guest.sent", Long.toString(g.sent), "guest.received", Long.toString(g.received));
    long started = System.nanoTime();
    snapshots.execute(() -> {
      Runnable running = () -> {
        if (snapshot.started.getCount() == 0) return;
        g.machineRunning = true; // the hypervisor restarted the vCPUs: a cut from now on must pause them again
        snapshot.started.countDown();
        onLoop.accept(() -> started(g, snapshot));
      };
      try {
        Path disks = checkpoints.disksOf(key);
        SafeFiles.deleteTree(disks); // a checkpoint taken again after a failed attempt
        Files.createDirectories(disks);
        CheckpointStats[] stats = new CheckpointStats[1];
        // Of the guest's pause, the part before its snapshot starts: the other stops of its cut, the node's step,
        // this thread's start. The rest is the hypervisor's.
        long heldMs = (System.nanoTime() - g.pausedAtNanos) / 1_000_000;
        long nicWaitMs = g.nicWaitNanos / 1_000_000;
        Capture capture = machines.checkpointPaused(g.name, running,
            (image, c) -> stats[0] = checkpoints.storeImage(key, image, attributes), disks);
        running.run();
        long ms = (System.nanoTime() - started) / 1_000_000;
        onLoop.accept(() -> {
          g.disksByIndex.put(r.index(), disks);
          events.emit("guest_snapshot", "vm", r.vm(), "index", r.index(), "host", hostUuid, "mode",
              capture.mode().toString(), "pause_ms", capture.guestPause().toMillis(), "held_ms", heldMs,
              "nic_wait_ms", nicWaitMs, "stored_bytes", stats[0].storedBytes(), "ms", ms, "fallback",
              capture.fallbackReason() == null ? "" : capture.fallbackReason());
        });
        checkpoints.staged(key, stats[0].storedBytes(), snapshot);
      } catch (Exception e) {
        running.run();
        snapshot.failed(e);
      }
    });
  }

  /**
   * The recovery line is at {@code index}: no VM goes back before it, so each guest's running disks may drop what
   * only older checkpoints need. It runs on the loop (a merge takes QEMU a few hundred milliseconds), so only once a
   * guest's chain holds {@value #LAYERS_BEFORE_COLLECTION} layers the line has passed; the disk snapshot at a cut
   * grows slower with every layer. A guest whose snapshot is under way is left for the next line.
   */
  void collect(long index) {
    for (Guest g : guests.values()) {
      Map.Entry<Long, Path> kept = g.disksByIndex.floorEntry(index);
      if (kept == null || g.disksByIndex.headMap(kept.getKey()).size() < LAYERS_BEFORE_COLLECTION || g.starting > 0) {
        continue;
      }
      try {
        machines.collect(g.name, kept.getValue());
        g.disksByIndex.headMap(kept.getKey()).clear();
      } catch (IOException e) {
        events.emit("disk_collect_failed", "vm", g.vm, "host", hostUuid, "error", e.getMessage());
      }
    }
  }

  // ---- recovery ------------------------------------------------------------------------------------------------

  /**
   * Brings VM {@code vm} back here, paused, from the stable checkpoint at {@code location} (memory and disks),
   * taken at {@code position}. It runs once its replays are in ({@link #replaysIn}). {@code nicUp}: whether the
   * guest had sent a frame by that checkpoint. A checkpoint of a guest still booting comes back booting: frames for
   * it (its replays among them) wait, as at its first boot, until it sends.
   */
  void restore(int vm, String vmUuid, String location, long position, boolean nicUp) throws IOException {
    Guest old = guests.remove(vm);
    if (old != null) nics.detach(vm);
    Guest g = new Guest(vm, name(vmUuid));
    g.position = position; // the checkpoint's: the node's record of the guest goes on from there
    Path image = scratch.resolve(vm + "-" + System.nanoTime() + ".mem");
    try {
      CheckpointKey key = checkpoints.restoreImage(location, image);
      InetSocketAddress relayEnd = nics.attach(vm);
      nics.connect(vm, machines.restore(g.name, vm, image, checkpoints.disksOf(key), relayEnd));
    } catch (IOException | RuntimeException e) {
      nics.detach(vm);
      throw e;
    } finally {
      Files.deleteIfExists(image);
    }
    g.holds.add(Hold.RESTORED);
    g.nicUp = nicUp;
    g.unchangedSince = location;
    if (blocked) g.holds.add(Hold.BLOCKED);
    guests.put(vm, g);
  }

  /** The restored guest's replays are in: it may run. */
  void replaysIn(int vm) {
    Guest g = guests.get(vm);
    if (g != null) release(g, Hold.RESTORED);
  }

  // ---- pausing -------------------------------------------------------------------------------------------------

  private static boolean held(Guest g) {
    return !g.holds.isEmpty() || g.starting > 0;
  }

  private void hold(Guest g, Hold why) {
    g.holds.add(why);
    if (g.machineRunning) pauseMachine(g);
  }

  private void release(Guest g, Hold why) {
    if (g.holds.remove(why)) maybeRun(g);
  }

  /**
   * The guest runs if nothing holds it. If something does and its vCPUs run anyway (a background snapshot
   * restarts them whatever held them), they are paused again, and what the guest sent meanwhile is taken: sent
   * after its latest snapshot's instant, it carries the index the node has now.
   */
  private void maybeRun(Guest g) {
    if (guests.get(g.vm) != g) return;
    if (held(g)) {
      if (g.machineRunning) {
        pauseMachine(g);
        cut(g);
      }
      return;
    }
    if (g.nicUp) flushWaiting(g);
    g.unchangedSince = null;
    try {
      machines.resume(g.name); // also when it may run already: a snapshot that failed early left it paused
      g.machineRunning = true;
    } catch (IOException e) {
      events.emit("guest_resume_failed", "vm", g.vm, "host", hostUuid, "error", e.getMessage());
    }
  }

  private void pauseMachine(Guest g) {
    try {
      machines.pause(g.name);
      g.pausedAtNanos = System.nanoTime();
      g.machineRunning = false;
    } catch (IOException e) {
      events.emit("guest_pause_failed", "vm", g.vm, "host", hostUuid, "error", e.getMessage());
    }
  }

  /**
   * Waits (on the loop, for as long as a snapshot takes to start) until the guest's last snapshot has let it run
   * again: a new instant can be cut only after the previous one was taken. The loop then takes note of it at once
   * ({@link #started}), not when the snapshot thread's note comes round: the frames that waited for the guest meanwhile
   * were counted before this cut and must be in it.
   */
  private void awaitStarted(Guest g) {
    Snapshot last = g.lastSnapshot;
    if (last == null) return;
    if (last.started.getCount() > 0) {
      try {
        if (!last.started.await(60, java.util.concurrent.TimeUnit.SECONDS)) {
          events.emit("guest_snapshot_slow", "vm", g.vm, "host", hostUuid);
          return;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    started(g, last);
  }

  /**
   * On the loop, once per snapshot: its start no longer holds the guest, and the frames that waited for it go in if
   * nothing else holds it. A frame waiting here was counted as received when it was delivered; a cut taken before it
   * goes in would count it in a checkpoint whose guest never had it (lost after a rollback to that checkpoint).
   */
  private void started(Guest g, Snapshot snapshot) {
    if (snapshot.noted) return;
    snapshot.noted = true;
    g.starting--;
    maybeRun(g);
  }

  private void cut(Guest g) {
    g.cuts++;
    try {
      nics.cut(g.vm);
    } catch (IOException e) {
      events.emit("nic_cut_failed", "vm", g.vm, "host", hostUuid, "error", e.getMessage());
    }
  }

  @Override public void close() {
    closed = true;
    for (int vm : List.copyOf(guests.keySet())) stop(vm, "closed");
    // A machine being started is destroyed by the boot thread itself once it has started; waited for, so none
    // outlives the group.
    boots.shutdown();
    try {
      if (!boots.awaitTermination(2, java.util.concurrent.TimeUnit.MINUTES)) {
        events.emit("agent_error", "host", hostUuid, "error", "a guest's start did not end within 2 minutes of the "
            + "group's close: its machine may be left running");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    // Started before the close, their hand-over to the loop will not run: destroyed here.
    for (Map.Entry<Integer, Boot> boot : booting.entrySet()) destroyMachine(boot.getKey(), boot.getValue().name);
    booting.clear();
    snapshots.shutdownNow();
    nics.close();
  }
}
