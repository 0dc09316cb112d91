package org.vmqsc.server.recovery;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.vmqsc.agent.node.PastLineRestore;
import org.vmqsc.agent.node.VmMigration;
import org.vmqsc.protocol.Message;
import org.vmqsc.protocol.recovery.HostSnapshot;
import org.vmqsc.protocol.recovery.Replay;
import org.vmqsc.protocol.recovery.VmRestore;

/**
 * The manager's end of manager-to-host traffic (CloudStack agent commands, HTTP/JSON, or in memory). Every order
 * is idempotent on the host, so a manager that resumes a recovery may send it again. A host that cannot be
 * reached throws {@link HostUnreachableException}.
 */
public interface HostChannel {

  /** The hosts the manager can reach now (not fenced). */
  Collection<String> liveHosts();

  /**
   * Gives {@code order} every live host; one that cannot be reached is skipped (it hears of it when it rejoins, or at
   * the next round). Returns the hosts reached.
   */
  default List<String> toLiveHosts(java.util.function.Consumer<String> order) {
    List<String> reached = new java.util.ArrayList<>();
    for (String host : liveHosts()) {
      try {
        order.accept(host);
        reached.add(host);
      } catch (HostUnreachableException e) {
        // skipped: see above
      }
    }
    return reached;
  }

  /** The group stands still on the host (no guest step, frames held) until {@link #thaw}: a recovery runs. */
  void freeze(String host, String group);

  /** The group runs on after a recovery: held frames go in, guests step again. */
  void thaw(String host, String group);

  /**
   * Whether a recovery may restore VM {@code vmUuid} on {@code host}. In CloudStack a VM stays in its cluster, whose
   * primary storage holds its disks; where every host can run every VM (the standalone cluster) this stays true.
   */
  default boolean canRun(String host, String vmUuid) {
    return true;
  }

  /** What the host holds of the group, as data. */
  HostSnapshot snapshot(String host, String group);

  /** The payloads the host keeps of {@code messages}. */
  Map<Message, byte[]> payloads(String host, String group, List<Message> messages);

  /** Run {@code restore.vm()} on the host from now on, rebuilt to its state at the line. */
  void restore(String host, String group, VmRestore restore, String checkpointLocation, List<String> segmentLocations);

  /**
   * As {@link #restore}, for VMs rebuilt past their stable state (causal logging), all in one order: the host
   * rebuilds them together, each taking its extension's receipts again ({@code payloads} holds those the host does
   * not keep, {@code stableLocations} where late ones lie on stable storage; a message one of them sent another, it
   * makes again) and making its sends again, before any takes anything new.
   */
  default void restorePastLine(String host, String group, List<PastLineRestore> restores,
                               Map<Message, byte[]> payloads, Map<Message, String> stableLocations) {
    throw new UnsupportedOperationException("this host channel cannot rebuild a VM past its stable state");
  }

  /** {@code vm} must stop running on {@code host}: it is restored on another host. */
  void evict(String host, String group, int vm);

  /** A VM was rolled back: drop what its discarded execution sent. */
  void rollback(String host, String group, int vm, int incarnation, long[] sentToAtLine);

  /** Deliver a rolled-back VM's replays, in order. */
  void replay(String host, String group, int vm, List<Replay> replays, Map<Message, byte[]> payloads,
              Map<Message, String> stableLocations);

  /**
   * The recovery line moved to {@code index}; {@code collectable}: where the checkpoints and log records it left
   * behind are stored, for the host to delete.
   */
  void line(String host, String group, long index, List<String> collectable);

  /** The group was deleted: the host stops running it (its checkpoints, logs and reports). */
  void drop(String host, String group);

  /**
   * Everything the catalog still counts on is stored at {@code stored}; the host deletes the rest of what its stores
   * hold that is older than {@code grace} (see {@code ReconcileOrder}).
   */
  void reconcile(String host, Collection<String> stored, java.time.Duration grace);

  /** A host that may still run VMs of the failed host's is cut off before they run elsewhere. */
  void fence(String host);

  // ---- live migration (channels that cannot migrate VMs keep these defaults) ----------------------------------

  /**
   * {@code vm} leaves the host by live migration to {@code target}: its state and the guest are handed out. A
   * host that refuses (its VM has writes not yet stable) changes nothing.
   */
  default VmMigration emigrate(String host, String group, int vm, String target) {
    throw new UnsupportedOperationException("this host channel does not migrate VMs");
  }

  /** The host takes a migrated VM over and runs it from now on. */
  default void immigrate(String host, String group, VmMigration migration) {
    throw new UnsupportedOperationException("this host channel does not migrate VMs");
  }

  /**
   * {@code vm} runs on {@code newHost} now (restored there by a recovery, or migrated): route its frames there, and
   * send it again the cross-host messages this host sent it that no host acknowledged (frames that went to its old
   * host meanwhile are lost; its new host drops those it has).
   */
  void placement(String host, String group, int vm, String newHost);
}
