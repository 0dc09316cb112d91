package org.vmqsc.plugin.host;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntFunction;
import org.vmqsc.agent.CheckpointAgent;
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
 * a checkpoint is captured live and stored in the host's staging store by the {@link CheckpointAgent}, whose lazy
 * flusher then copies it to stable storage ({@link #flushed} tells the node); a rebuild restores a verified
 * checkpoint into the guest. A checkpoint is named {@code <vm uuid>/<group uuid>-<incarnation>-<index>}, which is
 * also the location the manager records and hands back for a restore; the group is in the name because a VM can
 * join another group once its first one is deleted, and its new checkpoints must not collide with the old.
 *
 * <p>Messages for a guest wait in its inbox, in delivery order, for the guest's relay NIC.
 */
final class DriverGuests implements Guests {

  private final CheckpointAgent checkpoints;
  private final String group;
  private final IntFunction<String> vmUuid;
  private final Set<Integer> running = new HashSet<>();
  private final Map<Integer, List<LogEntry>> inbox = new HashMap<>();
  /** A checkpoint stored on this host and the bytes it stored there, which its stable report repeats. */
  private record Staged(BoundaryRecord checkpoint, long storedBytes) {}

  /** Checkpoints stored on this host and not yet stable, by their location. */
  private final Map<String, Staged> staged = new HashMap<>();
  private HostNode node;

  DriverGuests(CheckpointAgent checkpoints, String group, IntFunction<String> vmUuid) {
    this.checkpoints = checkpoints;
    this.group = group;
    this.vmUuid = vmUuid;
  }

  void attach(HostNode node) {
    this.node = node;
  }

  @Override public boolean running(int vm) {
    return running.contains(vm);
  }

  /** A real guest's execution is not observable: its position is how many messages it was handed. */
  @Override public long position(int vm) {
    return inbox.getOrDefault(vm, List.of()).size();
  }

  @Override public void deliver(LogEntry entry, byte[] payload, Replay replay) {
    inbox.computeIfAbsent(entry.message().to(), k -> new ArrayList<>()).add(entry);
  }

  /** The VM runs here from now on (a boot or a take-over); its first checkpoint follows from the node. */
  void started(int vm) {
    running.add(vm);
  }

  @Override public void checkpoint(BoundaryRecord checkpoint) {
    running.add(checkpoint.vm());
    CheckpointKey key = key(checkpoint);
    try {
      CheckpointAgent.Report report = checkpoints.checkpoint(key);
      long stored = report.stats().storedBytes();
      staged.put(key.toString(), new Staged(checkpoint, stored));
      node.onCheckpointStaged(checkpoint, key.toString(), stored, key.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("checkpoint " + key + " failed", e);
    }
  }

  /**
   * The flusher copied a checkpoint to stable storage: the node reports it stable, with the size and digest of its
   * staged report (the manager refuses a second report of a checkpoint that differs from the first).
   */
  void flushed(CheckpointKey key) {
    Staged s = staged.remove(key.toString());
    if (s != null) node.onCheckpointStable(s.checkpoint(), key.toString(), s.storedBytes(), key.toString());
  }

  @Override public void rebuild(int vm, BoundaryRecord checkpoint, String location, List<LoggedMessage> replay,
                                long until) {
    try {
      checkpoints.restore(parse(location));
    } catch (IOException e) {
      throw new UncheckedIOException("restore of " + location + " failed", e);
    }
    List<LogEntry> delivered = new ArrayList<>();
    for (LoggedMessage m : replay) delivered.add(m.entry());
    inbox.put(vm, delivered);
    running.add(vm);
  }

  @Override public void stop(int vm) {
    running.remove(vm);
  }

  @Override public void handOff(int vm, String target) {
    running.remove(vm); // the hypervisor's live migration moves the guest itself
  }

  @Override public void takeOver(int vm, VmMigration migration) {
    running.add(vm);
  }

  List<LogEntry> inbox(int vm) {
    return List.copyOf(inbox.getOrDefault(vm, List.of()));
  }

  private CheckpointKey key(BoundaryRecord c) {
    return new CheckpointKey(vmUuid.apply(c.vm()), group + "-" + c.incarnation() + "-" + c.index());
  }

  private static CheckpointKey parse(String location) {
    int slash = location.indexOf('/');
    if (slash < 0) throw new IllegalArgumentException("not a checkpoint location: " + location);
    return new CheckpointKey(location.substring(0, slash), location.substring(slash + 1));
  }
}
