package org.vmqsc.plugin.host;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntFunction;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.vmqsc.agent.log.LoggedMessage;
import org.vmqsc.agent.node.Guests;
import org.vmqsc.agent.node.HostNode;
import org.vmqsc.agent.node.VmMigration;
import org.vmqsc.agent.store.CheckpointKey;
import org.vmqsc.protocol.BoundaryRecord;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.recovery.Replay;

/**
 * The VMs of one group on this host, through a hypervisor driver (libvirt on a KVM host, XAPI for a Xen host, the simulator in tests):
 * a checkpoint is captured live and stored in the host's staging store by agent-ext's {@code CheckpointAgent},
 * whose lazy flusher then copies it to stable storage ({@link #flushed} tells the node); a rebuild restores a verified
 * checkpoint into the guest. A checkpoint is named {@code <vm uuid>/<group uuid>-<incarnation>-<index>}, which is
 * also the location the manager records and hands back for a restore; the group is in the name because a VM can
 * join another group once its first one is deleted, and its new checkpoints must not collide with the old.
 *
 * <p>A checkpoint runs on the host's {@link CheckpointExecutor}, not on the command that passed its boundary; the
 * node hears it staged once it is stored, on the host agent's lock. A result is dropped, never reported, when its VM
 * changed while it ran (restored, evicted, handed off or taken over, booted again, or the group forgotten by a
 * fence): it would describe a guest this host no longer runs as it was. A failed or dropped checkpoint is
 * abandoned on the node.
 *
 * <p>With the group's traffic on this host ({@link GroupTraffic}), a message delivered to a guest goes into its NIC on
 * the relay network, and a checkpoint of a guest the group cut ({@link #pauseForCut}) is of the instant of the cut.
 * Without it a delivery only moves the guest's position.
 */
final class DriverGuests implements Guests {

  private static final Logger LOG = LogManager.getLogger(DriverGuests.class);

  /** How long a restore waits for a checkpoint of its VM still running (a driver's own deadline is 5 to 10 min). */
  static final Duration RESTORE_WAITS_FOR_CHECKPOINT = Duration.ofMinutes(2);
  /**
   * How long a cut waits for the VM's last checkpoint to be taken (on the host agent's lock, which the host's frames
   * need too, so briefly): past it the cut fails and the checkpoint of that boundary is abandoned, as when a
   * snapshot takes longer than a base period.
   */
  static final Duration CUT_WAITS_FOR_CHECKPOINT = Duration.ofSeconds(1);

  private final CheckpointExecutor checkpoints;
  private final String group;
  private final IntFunction<String> vmUuid;
  private final Set<Integer> runsHere = new HashSet<>();
  private final Map<Integer, Long> positions = new HashMap<>();
  /** A checkpoint stored on this host and the bytes it stored there, which its stable report repeats. */
  private record Staged(BoundaryRecord checkpoint, long storedBytes) {}

  /** Checkpoints stored on this host and not yet stable, by their location. */
  private final Map<String, Staged> staged = new HashMap<>();

  /**
   * A checkpoint on the executor: its VM's {@link #changes} when it was taken, and whether the flusher already
   * made it stable (it may, before the result is delivered).
   */
  private record InFlight(BoundaryRecord checkpoint, long change, boolean stable) {}

  /** Checkpoints on the executor whose result the node has not heard yet, by their location. */
  private final Map<String, InFlight> inFlight = new HashMap<>();
  /** Per VM, how often the guest this host runs as it changed (see the class comment). */
  private final Map<Integer, Long> changes = new HashMap<>();
  /** The group was forgotten here (a fence): no result reaches its node any more. */
  private boolean forgotten;
  private HostNode node;
  /** The group's traffic on this host; null when its guests' messages are not carried here. */
  private GroupTraffic traffic;
  /** VMs paused by a cut whose checkpoint has not been submitted (see {@link #pauseForCut}). */
  private final Set<Integer> cutPaused = new HashSet<>();
  /** Restored guests that have not run since, and the checkpoint each is (see {@link #rebuild}). */
  private final Map<Integer, String> unchangedSince = new HashMap<>();
  /** Guests paused while a recovery holds the group still (see {@link #hold}). */
  private final Set<Integer> held = new HashSet<>();
  private boolean holding;

  DriverGuests(CheckpointExecutor checkpoints, String group, IntFunction<String> vmUuid) {
    this.checkpoints = checkpoints;
    this.group = group;
    this.vmUuid = vmUuid;
  }

  void attach(HostNode node) {
    this.node = node;
  }

  void carry(GroupTraffic traffic) {
    this.traffic = traffic;
  }

  /**
   * Waits a while ({@link #CUT_WAITS_FOR_CHECKPOINT}) for VM {@code vm}'s checkpoints still running: the hypervisor
   * takes one snapshot of a guest at a time, and a new instant can be cut only once the last one is taken. False
   * when they did not end in time: the guest is not cut, and its next checkpoint is abandoned.
   */
  boolean readyForCut(int vm) {
    if (held.contains(vm)) return true;
    if (checkpoints.awaitIdle(vmUuid.apply(vm), CUT_WAITS_FOR_CHECKPOINT)) return true;
    LOG.warn("vmqsc: VM {} of group {} not cut: its last checkpoint is still being taken after {} s", vm, group,
        CUT_WAITS_FOR_CHECKPOINT.toSeconds());
    return false;
  }

  /**
   * Stops VM {@code vm}'s guest now ({@link #readyForCut} first), so that the node's next move of its index is of
   * this instant: its next checkpoint captures the paused guest; {@link #resumeUncheckpointed} runs it again when
   * none followed.
   *
   * @return false when the guest could not be paused (nothing changed): its next checkpoint is then abandoned
   */
  boolean pauseForCut(int vm) {
    if (held.contains(vm)) return true; // paused already; no checkpoint follows while the group is held
    try {
      checkpoints.pause(vmUuid.apply(vm));
      cutPaused.add(vm);
      return true;
    } catch (IOException | RuntimeException e) {
      LOG.warn("vmqsc: VM {} of group {} not cut: {}", vm, group, e.toString());
      return false;
    }
  }

  /**
   * Pauses VM {@code vm}'s guest until {@link #releaseHeld} (a recovery holds the group still); a guest restored or
   * taken over while the group is held is paused as soon as it runs here.
   *
   * @return false when it could not be paused
   */
  boolean hold(int vm) {
    holding = true;
    if (held.contains(vm)) return true;
    String uuid = vmUuid.apply(vm);
    if (!checkpoints.awaitIdle(uuid, CUT_WAITS_FOR_CHECKPOINT)) {
      LOG.warn("vmqsc: VM {} of group {} not held still: its last checkpoint is still being taken", vm, group);
      return false;
    }
    try {
      checkpoints.pause(vmUuid.apply(vm));
      held.add(vm);
      return true;
    } catch (IOException | RuntimeException e) {
      LOG.warn("vmqsc: VM {} of group {} not held still: {}", vm, group, e.toString());
      return false;
    }
  }

  /** Every guest held still runs again (a restored one is no longer its checkpoint from then on). */
  void releaseHeld() {
    holding = false;
    for (int vm : held) {
      checkpoints.resumeQuietly(vmUuid.apply(vm), "VM " + vm + " of group " + group);
      unchangedSince.remove(vm);
    }
    held.clear();
  }

  /** A VM cut for a checkpoint that did not follow runs again. */
  void resumeUncheckpointed(int vm) {
    if (cutPaused.remove(vm)) checkpoints.resumeQuietly(vmUuid.apply(vm), "VM " + vm + " of group " + group);
  }

  @Override public boolean running(int vm) {
    return runsHere.contains(vm);
  }

  /**
   * A real guest's execution is not observable: its position counts the messages it sent and was handed since it
   * booted, going on from its checkpoint's after a restore (the node suppresses a rebuilt guest's sends up to that
   * position, which would silence a restored real guest if its count started again from zero).
   */
  @Override public long position(int vm) {
    return positions.getOrDefault(vm, 0L);
  }

  /** VM {@code vm}'s guest sent a frame (a message of the protocol from now on). */
  void sent(int vm) {
    positions.merge(vm, 1L, Long::sum);
  }

  @Override public void deliver(LogEntry entry, byte[] payload, Replay replay) {
    int vm = entry.message().to();
    positions.merge(vm, 1L, Long::sum);
    if (traffic != null && payload != null) traffic.toGuest(vm, payload);
  }

  /**
   * The VM runs here from now on (a boot); its first checkpoint follows from the node, its NIC joins the group's
   * traffic with it (see {@link GroupNode#boot}).
   */
  void started(int vm) {
    changed(vm);
    positions.put(vm, 0L);
    runsHere.add(vm);
  }

  /** Hands the capture to the executor and returns: the node hears it staged later, or never. */
  @Override public void checkpoint(BoundaryRecord checkpoint) {
    String same = unchangedSince.get(checkpoint.vm());
    if (same != null) {
      // Not run since its restore: this checkpoint is the one it was restored from, on stable storage already.
      checkpoints.deliverLater(() -> {
        node.onCheckpointStaged(checkpoint, same, 0, same);
        node.onCheckpointStable(checkpoint, same, 0, same);
      });
      return;
    }
    runsHere.add(checkpoint.vm());
    CheckpointKey key = key(checkpoint);
    inFlight.put(key.toString(), new InFlight(checkpoint, changes.getOrDefault(checkpoint.vm(), 0L), false));
    if (cutPaused.remove(checkpoint.vm())) {
      checkpoints.checkpointPaused(key, describe(checkpoint, key), () -> { }, this::finished);
    } else if (traffic != null && traffic.attached(checkpoint.vm())) {
      // Its frames go through the relay: a checkpoint at any other instant than a cut would split them wrongly.
      checkpoints.refuse(key, describe(checkpoint, key), "its guest could not be cut", this::finished);
    } else {
      checkpoints.checkpoint(key, describe(checkpoint, key), this::finished);
    }
  }

  /** What a checkpoint of the executor came to, on the host agent's lock. */
  private void finished(CheckpointExecutor.Finished f) {
    InFlight r = inFlight.remove(f.key().toString());
    if (r == null) return; // a second checkpoint under the same name: the first one settled it
    BoundaryRecord c = r.checkpoint();
    String stale = forgotten ? "its group was forgotten on this host (fenced)"
        : r.change() != changes.getOrDefault(c.vm(), 0L) ? "its VM was restored, moved or stopped here since" : null;
    if (stale != null && f.failure() == null) checkpoints.discarded(describe(c, f.key()), stale);
    if (stale != null || f.failure() != null) {
      node.onCheckpointAbandoned(c);
      return;
    }
    long stored = f.report().stats().storedBytes();
    staged.put(f.key().toString(), new Staged(c, stored));
    node.onCheckpointStaged(c, f.key().toString(), stored, f.key().toString());
    if (r.stable()) flushed(f.key());
  }

  /**
   * The flusher copied a checkpoint to stable storage: the node reports it stable, with the size and digest of its
   * staged report (the manager refuses a second report of a checkpoint that differs from the first). One whose
   * result the node has not heard yet is reported stable right after it is staged.
   */
  void flushed(CheckpointKey key) {
    Staged s = staged.remove(key.toString());
    if (s != null) {
      node.onCheckpointStable(s.checkpoint(), key.toString(), s.storedBytes(), key.toString());
      return;
    }
    inFlight.computeIfPresent(key.toString(), (k, r) -> new InFlight(r.checkpoint(), r.change(), true));
  }

  /**
   * Waits (a while) for the checkpoints of {@code vm} still running to finish, so that a restore of it can follow.
   * Needs no lock (it reads only the group's members and asks the executor), so a restore may wait off the host
   * agent's lock.
   *
   * @throws IllegalStateException when they did not: nothing may change for the VM yet
   */
  void awaitCheckpoints(int vm) {
    String uuid = vmUuid.apply(vm);
    if (!checkpoints.awaitIdle(uuid, RESTORE_WAITS_FOR_CHECKPOINT)) {
      throw new IllegalStateException("VM " + vm + " (" + uuid + ") of group " + group + " has a checkpoint still "
          + "being taken after " + RESTORE_WAITS_FOR_CHECKPOINT.toSeconds() + " s: ask again");
    }
  }

  /**
   * A restore of {@code vm} is under way: checkpoints of the guest it replaces, still running, are dropped when they
   * finish, whenever their result reaches the node (the restore waits for them off the host agent's lock).
   */
  void replacing(int vm) {
    changed(vm);
  }

  /** A fence: the host forgets the group; checkpoints still running are dropped when they finish. */
  void forget() {
    forgotten = true;
    staged.clear();
  }

  /**
   * Restores the VM's checkpoint here. With the group's traffic here the guest comes back paused and stays held
   * (see {@link #hold}) until the group runs again ({@link #releaseHeld}): until then it is the checkpoint it was
   * restored from, and a checkpoint the node takes of it meanwhile (the restored incarnation's first, one per
   * period it catches up with) is that checkpoint again, never a new image.
   */
  @Override public void rebuild(int vm, BoundaryRecord checkpoint, String location, List<LoggedMessage> replay,
                                long until) {
    changed(vm);
    boolean paused = traffic != null;
    try {
      checkpoints.restore(parse(location), RESTORE_WAITS_FOR_CHECKPOINT, paused);
    } catch (IOException e) {
      throw new UncheckedIOException("restore of " + location + " failed", e);
    }
    positions.put(vm, checkpoint.position() + replay.size());
    runsHere.add(vm);
    if (paused) {
      traffic.notBooting(vm);
      traffic.here(vm, vmUuid.apply(vm));
      held.add(vm);
      unchangedSince.put(vm, location);
    }
  }

  @Override public void stop(int vm) {
    changed(vm);
    held.remove(vm);
    runsHere.remove(vm);
    if (traffic != null) traffic.gone(vm);
  }

  @Override public void handOff(int vm, String target) {
    changed(vm);
    held.remove(vm);
    runsHere.remove(vm); // the hypervisor's live migration moves the guest itself
    if (traffic != null) traffic.gone(vm);
  }

  @Override public void takeOver(int vm, VmMigration migration) {
    changed(vm);
    positions.put(vm, migration.transfer().lastPosition());
    runsHere.add(vm);
    if (traffic != null) traffic.here(vm, vmUuid.apply(vm)); // its frames so far are released after the hand-off
    if (holding && traffic != null && traffic.attached(vm)) hold(vm);
  }

  /** The guest this host runs as {@code vm} is another from now on: checkpoints of the one before are stale. */
  private void changed(int vm) {
    changes.merge(vm, 1L, Long::sum);
    cutPaused.remove(vm); // the guest a cut paused is gone or replaced (one held stays held: the thaw runs it)
    unchangedSince.remove(vm);
  }

  private String describe(BoundaryRecord c, CheckpointKey key) {
    return "VM " + c.vm() + " (" + key.vmId() + ") of group " + group + " at index " + c.index() + ", incarnation "
        + c.incarnation();
  }


  private CheckpointKey key(BoundaryRecord c) {
    return new CheckpointKey(vmUuid.apply(c.vm()), group + "-" + c.incarnation() + "-" + c.index());
  }

  static CheckpointKey parse(String location) {
    int slash = location.indexOf('/');
    if (slash < 0) throw new IllegalArgumentException("not a checkpoint location: " + location);
    return new CheckpointKey(location.substring(0, slash), location.substring(slash + 1));
  }
}
