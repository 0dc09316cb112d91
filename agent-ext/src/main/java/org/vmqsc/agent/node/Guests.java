package org.vmqsc.agent.node;

import java.util.List;
import org.vmqsc.agent.log.LoggedMessage;
import org.vmqsc.protocol.BoundaryRecord;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.recovery.Replay;

/**
 * The VMs a host node runs, as its hypervisor and relay see them: where each guest is, handing it messages, and
 * checkpointing and restoring it. Checkpoints finish later: the adapter calls {@link HostNode#onCheckpointStaged}
 * when the checkpoint is written on the host and {@link HostNode#onCheckpointStable} when it is on stable storage.
 */
public interface Guests {

  /** Whether the VM's guest runs here now (it may have failed, or wait for its recovery). */
  boolean running(int vm);

  /** The guest's position: how far its execution has gone, as the determinants of its log record it. */
  long position(int vm);

  /** Hand a message to the guest; {@code replay} is the recovery's replay it carries out, or null when live. */
  void deliver(LogEntry entry, byte[] payload, Replay replay);

  /** Snapshot the guest now (live); the adapter reports when it is staged, then stable. */
  void checkpoint(BoundaryRecord checkpoint);

  /**
   * Rebuild the guest's state: restore {@code checkpoint} (from {@code location}: staged on this host or stable),
   * deliver {@code replay} in order, each at its position, and run it to {@code until}. Sends it makes on the way
   * were made before: they go through {@link HostNode#send}, which drops them.
   */
  void rebuild(int vm, BoundaryRecord checkpoint, String location, List<LoggedMessage> replay, long until);

  /**
   * Whether the guests are piecewise deterministic (their execution is fixed by what they receive and where): then
   * the host practises causal logging, and a recovery may rebuild a VM past its last stable state.
   */
  default boolean deterministic() {
    return false;
  }

  /**
   * A VM being rebuilt past its stable state does its next deterministic step (the send it made there before,
   * through {@link HostNode#send}), calling {@link HostNode#prepareSend} with its destination before the step
   * changes the guest, so a boundary that fell before the send is taken on the guest as it was. Only
   * deterministic guests can.
   */
  default void stepAgain(int vm) {
    throw new UnsupportedOperationException("these guests cannot be re-executed step by step");
  }

  /** The VM no longer runs here (a recovery placed it elsewhere). */
  void stop(int vm);

  /**
   * The VM leaves this host by live migration: the hypervisor moves the running guest to {@code target}. Until
   * the new host takes it over, it runs nowhere.
   */
  default void handOff(int vm, String target) {
    throw new UnsupportedOperationException("this host cannot migrate VMs");
  }

  /**
   * The migrated guest runs here now, exactly as it was when handed off. A VM failure here restores
   * {@code migration.checkpointLocation()} until a checkpoint is written on this host.
   */
  default void takeOver(int vm, VmMigration migration) {
    throw new UnsupportedOperationException("this host cannot take migrated VMs over");
  }
}
