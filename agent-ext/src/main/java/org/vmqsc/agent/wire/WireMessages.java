package org.vmqsc.agent.wire;

import java.util.List;
import java.util.Map;
import org.vmqsc.agent.node.VmMigration;
import org.vmqsc.protocol.BoundaryRecord;
import org.vmqsc.protocol.GroupConfig;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.Message;
import org.vmqsc.protocol.recovery.Replay;
import org.vmqsc.protocol.recovery.VmRestore;

/**
 * What a standalone manager and its agents say to each other over HTTP/JSON ({@link Wire}). Agent → manager:
 * {@link Register}, {@link Heartbeat}, {@link Reports}. Manager → agent: the orders of the recovery coordinator
 * and the deployment of groups. VMs are named by their number in the group, hosts by uuid, tunnels by
 * {@code host:port}.
 */
public final class WireMessages {

  private WireMessages() {}

  // ---- agent → manager ---------------------------------------------------------------------------------------

  /**
   * An agent (re)starts or finds a manager that does not know it.
   *
   * @param bootId   new for every agent process: a host whose boot id changed lost every VM it ran
   * @param holdings per group, the VMs this agent runs now (an agent that finds a restarted manager)
   */
  /**
   * @param realGuests the agent runs real guests (QEMU machines), whose groups must be all SI; false or absent:
   *                   simulated, piecewise deterministic guests
   */
  public record Register(String name, String hostUuid, String bootId, String url, String tunnel,
                         Map<String, List<Integer>> holdings, boolean realGuests) {}

  /**
   * @param epoch   the epoch the agent's heartbeats carry from now on
   * @param release per group, the VMs of {@code holdings} this host must stop: they run elsewhere now
   */
  public record Registered(String hostUuid, long epoch, long leaseMillis, long heartbeatMillis,
                           Map<String, List<Integer>> release) {}

  public record Heartbeat(String hostUuid, long epoch, long seq) {}

  /** @param known false when the manager does not know the host (it restarted): register again */
  public record HeartbeatAnswer(long seq, boolean known, boolean renewed, long epoch) {}

  /** One host node's batch. */
  public record Reports(String hostUuid, String group, List<Report> batch) {}

  /** A staged or stable checkpoint or log segment ({@code boundary}), or a late message logged stably ({@code late}). */
  public record Report(BoundaryRecord boundary, boolean stable, String location, long sizeBytes, String digest,
                       LogEntry late) {}

  // ---- manager → agent ---------------------------------------------------------------------------------------

  /**
   * Run a group here: create its host node if absent, route by {@code members}, boot the VMs of {@code boot} this
   * host runs (only when the group starts; a VM restored here is brought by a restore order). Idempotent.
   *
   * @param epochMillis wall-clock time of the group's base boundary 0: every host's boundaries count from it
   */
  public record Deploy(String group, GroupConfig config, long epochMillis, List<Member> members, GuestProfile guests,
                       List<Integer> boot) {}

  /**
   * A VM of the group: where it runs, that host's tunnel, and the MAC of the VM's NIC on the relay network
   * ({@code aa:bb:cc:dd:ee:ff}; null where the agents give their guests fixed MACs, as the standalone ones do).
   */
  public record Member(int number, String vmUuid, String hostUuid, String tunnel, String mac) {

    /** A member whose NIC's MAC the agents know without being told. */
    public Member(int number, String vmUuid, String hostUuid, String tunnel) {
      this(number, vmUuid, hostUuid, tunnel, null);
    }
  }

  /**
   * The simulated guests' workload, the same on every host so a guest restored elsewhere behaves the same.
   *
   * @param messagesPerPeriod mean messages each VM sends per base period, spread uniformly over the others
   * @param memoryMiB         the guest's memory image, checkpointed by the engine
   * @param dirtyPagesPerSecond how fast the guest rewrites its memory
   */
  public record GuestProfile(double messagesPerPeriod, int memoryMiB, int dirtyPagesPerSecond, long seed) {}

  public record GroupRef(String group) {}

  /**
   * Drop every VM: the manager declared the host failed, which started {@code epoch}. A host already running in
   * that epoch (it learnt of the failure and rejoined, empty) ignores it.
   */
  public record FenceOrder(long epoch) {}

  public record PayloadsRequest(String group, List<Message> messages) {}

  public record Payload(Message message, byte[] bytes) {}

  public record StableLocation(Message message, String location) {}

  public record RestoreOrder(String group, VmRestore restore, String checkpointLocation, List<String> segmentLocations) {}

  public record RollbackOrder(String group, int vm, int incarnation, long[] sentToAtLine) {}

  public record ReplayOrder(String group, int vm, List<Replay> replays, List<Payload> payloads,
                            List<StableLocation> stableLocations) {}

  /**
   * The recovery line moved to {@code index}; {@code collectable} lists the locations of the checkpoints and log
   * records now behind it, which the host deletes (null from a manager that sends none).
   */
  public record LineOrder(String group, long index, List<String> collectable) {}

  /**
   * Everything the catalog still counts on is stored at {@code stored}: the host deletes from its stores what lies
   * elsewhere and was written more than {@code graceMillis} ago (left over: a collection it missed, a discarded
   * execution, a deleted group).
   */
  public record ReconcileOrder(List<String> stored, long graceMillis) {}

  /** One VM of a group on the agent (crash-guest: a simulated guest dies, its host rebuilds it). */
  public record GuestOrder(String group, int vm) {}

  /** {@code vm} runs on the host whose tunnel is {@code tunnel} now. */
  public record PlacementOrder(String group, int vm, String tunnel) {}

  /** Live migration, source side: hand {@code vm} out to {@code target}. */
  public record EmigrateOrder(String group, int vm, String target) {}

  /**
   * What a source hands out: the protocol's part ({@link VmMigration}) and the hypervisor's (the guest's running
   * state, which a real hypervisor would stream itself).
   */
  public record Emigrated(VmMigration migration, GuestState guest) {}

  /** Live migration, target side: run the VM from now on. */
  public record ImmigrateOrder(String group, VmMigration migration, GuestState guest) {}

  /** A simulated guest's execution state. */
  public record GuestState(int vm, long hash, long position, long[] sent, long[] received) {}

  /** What an agent runs, for {@code cluster status}. */
  public record Status(String name, String hostUuid, long epoch, boolean stopped, Map<String, List<VmStatus>> groups) {}

  public record VmStatus(int vm, long index, int incarnation, long position, long sent, long received) {}

  /** The body of every refused request, both ways. */
  /** Why a request was refused; {@code reason} names the kind when the manager's catalog refused it, else null. */
  public record Refusal(String error, String reason) {
    public Refusal(String error) {
      this(error, null);
    }
  }
}
