package org.vmqsc.plugin.server.host;

import com.cloud.agent.AgentManager;
import com.cloud.agent.api.Answer;
import com.cloud.exception.AgentUnavailableException;
import com.cloud.exception.OperationTimedoutException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.vmqsc.agent.node.MigrationRefusedException;
import org.vmqsc.agent.node.VmMigration;
import org.vmqsc.agent.wire.Wire;
import org.vmqsc.agent.wire.WireMessages.Deploy;
import org.vmqsc.agent.wire.WireMessages.Emigrated;
import org.vmqsc.agent.wire.WireMessages.EmigrateOrder;
import org.vmqsc.agent.wire.WireMessages.GroupRef;
import org.vmqsc.agent.wire.WireMessages.GuestOrder;
import org.vmqsc.agent.wire.WireMessages.GuestState;
import org.vmqsc.agent.wire.WireMessages.ImmigrateOrder;
import org.vmqsc.agent.wire.WireMessages.LineOrder;
import org.vmqsc.agent.wire.WireMessages.ReconcileOrder;
import org.vmqsc.agent.wire.WireMessages.Payload;
import org.vmqsc.agent.wire.WireMessages.PayloadsRequest;
import org.vmqsc.agent.wire.WireMessages.PlacementOrder;
import org.vmqsc.agent.wire.WireMessages.ReplayOrder;
import org.vmqsc.agent.wire.WireMessages.RestoreOrder;
import org.vmqsc.agent.wire.WireMessages.RollbackOrder;
import org.vmqsc.agent.wire.WireMessages.StableLocation;
import org.vmqsc.plugin.command.DeployGroupCommand;
import org.vmqsc.plugin.server.VmqscSettings;
import org.vmqsc.plugin.command.EmigrateVmCommand;
import org.vmqsc.plugin.command.EvictVmCommand;
import org.vmqsc.plugin.command.FenceHostCommand;
import org.vmqsc.plugin.command.FetchPayloadsCommand;
import org.vmqsc.plugin.command.FreezeGroupCommand;
import org.vmqsc.plugin.command.ImmigrateVmCommand;
import org.vmqsc.plugin.command.PlacementCommand;
import org.vmqsc.plugin.command.DropGroupCommand;
import org.vmqsc.plugin.command.ReconcileStorageCommand;
import org.vmqsc.plugin.command.RecoveryLineCommand;
import org.vmqsc.plugin.command.ReplayMessagesCommand;
import org.vmqsc.plugin.command.RestoreVmCommand;
import org.vmqsc.plugin.command.RollbackVmCommand;
import org.vmqsc.plugin.command.SnapshotHostCommand;
import org.vmqsc.plugin.command.ThawGroupCommand;
import org.vmqsc.plugin.command.VmqscAnswer;
import org.vmqsc.plugin.command.VmqscCommand;
import org.vmqsc.protocol.Message;
import org.vmqsc.protocol.recovery.HostSnapshot;
import org.vmqsc.protocol.recovery.Replay;
import org.vmqsc.protocol.recovery.VmRestore;
import org.vmqsc.server.recovery.HostChannel;
import org.vmqsc.server.recovery.HostUnreachableException;

/**
 * The recovery coordinator's orders as CloudStack agent commands: each order's body in the agents' JSON wire
 * format inside a {@link VmqscCommand}, sent through CloudStack's {@link AgentManager} to the host's agent, whose
 * command wrapper hands it to the host's node. An agent that is not connected or does not answer in time is
 * unreachable; an answer that refuses the order is an error with the host's reason.
 */
public final class AgentCommandChannel implements HostChannel {

  private final AgentManager agents;
  private final KnownHosts hosts;
  private final HostFencer fencer;
  private final VmPlacement placement;
  /** The uuid of a group's VM by its number. */
  private final java.util.function.BiFunction<String, Integer, String> vmUuid;
  /** The group's deployment for a host (no VM to boot): what a host needs before it takes a VM of the group. */
  private final Function<String, Deploy> deploymentOf;
  /** The guest's running state between emigrate and immigrate, by group/VM. */
  private final Map<String, GuestState> guestsInFlight = new ConcurrentHashMap<>();
  private final Set<String> deployed = ConcurrentHashMap.newKeySet();

  public AgentCommandChannel(AgentManager agents, KnownHosts hosts, HostFencer fencer, VmPlacement placement,
                             java.util.function.BiFunction<String, Integer, String> vmUuid,
                             Function<String, Deploy> deploymentOf) {
    this.agents = agents;
    this.hosts = hosts;
    this.fencer = fencer;
    this.placement = placement;
    this.vmUuid = vmUuid;
    this.deploymentOf = deploymentOf;
  }

  @Override public Collection<String> liveHosts() {
    return hosts.up();
  }

  public void deploy(String host, Deploy deploy) {
    Optional<KnownHosts.KnownHost> known = hosts.byUuid(host);
    String relay = known.map(KnownHosts.KnownHost::relay).orElse(null);
    Long cluster = known.map(KnownHosts.KnownHost::clusterId).orElse(null);
    // The host's cluster's storage settings: its agent opens its stores with them.
    DeployGroupCommand command = new DeployGroupCommand(deploy.group(), host, relay, json(deploy)).withStorage(
        VmqscSettings.STAGING_DIRECTORY.valueIn(cluster), VmqscSettings.STABLE_STORAGE.valueIn(cluster),
        VmqscSettings.FLUSH_BANDWIDTH.valueIn(cluster)).withLease(VmqscSettings.LEASE_MS.valueIn(cluster));
    // A Xen host's relay runs here, and reaches the guests through the VXLAN port in the host's dom0.
    known.filter(h -> h.xen() && h.relay() != null).ifPresent(h -> command.withXenRelay(
        h.relay().substring(0, h.relay().lastIndexOf(':')) + ":" + VmqscSettings.XEN_VXLAN_PORT.value(),
        VmqscSettings.XEN_RELAY_VNI.value(), h.address()));
    send(host, command);
    deployed.add(host + "/" + deploy.group());
  }

  @Override public void freeze(String host, String group) {
    send(host, new FreezeGroupCommand(group, json(new GroupRef(group))));
  }

  @Override public void thaw(String host, String group) {
    send(host, new ThawGroupCommand(group, json(new GroupRef(group))));
  }

  @Override public HostSnapshot snapshot(String host, String group) {
    return Wire.GSON.fromJson(send(host, new SnapshotHostCommand(group, json(new GroupRef(group)))),
        HostSnapshot.class);
  }

  @Override public Map<Message, byte[]> payloads(String host, String group, List<Message> messages) {
    Payload[] got = Wire.GSON.fromJson(send(host, new FetchPayloadsCommand(group,
        json(new PayloadsRequest(group, messages)))), Payload[].class);
    Map<Message, byte[]> out = new HashMap<>();
    for (Payload p : got) out.put(p.message(), p.bytes());
    return out;
  }

  @Override public boolean canRun(String host, String vmUuid) {
    return placement.canRun(vmUuid, host);
  }

  /** CloudStack runs the VM on the host first (Running there in its database), then its memory is restored. */
  @Override public void restore(String host, String group, VmRestore restore, String checkpointLocation,
                                List<String> segmentLocations) {
    placement.runOn(vmUuid.apply(group, restore.vm()), host);
    ensureDeployed(host, group);
    send(host, new RestoreVmCommand(group, json(new RestoreOrder(group, restore, checkpointLocation,
        segmentLocations))));
  }

  @Override public void evict(String host, String group, int vm) {
    send(host, new EvictVmCommand(group, json(new GuestOrder(group, vm))));
  }

  /** Every live host must know a rollback, a host that gets the group only later in this recovery too. */
  @Override public void rollback(String host, String group, int vm, int incarnation, long[] sentToAtLine) {
    ensureDeployed(host, group);
    send(host, new RollbackVmCommand(group, json(new RollbackOrder(group, vm, incarnation, sentToAtLine))));
  }

  @Override public void replay(String host, String group, int vm, List<Replay> replays, Map<Message, byte[]> payloads,
                               Map<Message, String> stableLocations) {
    List<Payload> bytes = new ArrayList<>();
    payloads.forEach((m, b) -> bytes.add(new Payload(m, b)));
    List<StableLocation> locations = new ArrayList<>();
    stableLocations.forEach((m, l) -> locations.add(new StableLocation(m, l)));
    send(host, new ReplayMessagesCommand(group, json(new ReplayOrder(group, vm, replays, bytes, locations))));
  }

  @Override public void drop(String host, String group) {
    send(host, new DropGroupCommand(group, json(new GroupRef(group))));
  }

  @Override public void reconcile(String host, Collection<String> stored, java.time.Duration grace) {
    send(host, new ReconcileStorageCommand(json(new ReconcileOrder(List.copyOf(stored), grace.toMillis()))));
  }

  @Override public void line(String host, String group, long index, List<String> collectable) {
    send(host, new RecoveryLineCommand(group, json(new LineOrder(group, index, collectable))));
  }

  @Override public void placement(String host, String group, int vm, String newHost) {
    String relay = hosts.byUuid(newHost).map(KnownHosts.KnownHost::relay)
        .orElseThrow(() -> new HostUnreachableException(newHost, "it is not connected to this management server"));
    send(host, new PlacementCommand(group, json(new PlacementOrder(group, vm, relay))));
  }

  /**
   * CloudStack's fencers first (the VMs of the host must be off before they run elsewhere; without a fencer's yes
   * the recovery stops here), then the host itself is told, if it still answers.
   */
  @Override public void fence(String host) {
    fencer.fence(host);
    try {
      send(host, new FenceHostCommand("", json(new GroupRef(""))));
    } catch (HostUnreachableException | IllegalStateException e) {
      // Down, as CloudStack found: its VMs were fenced above.
    }
  }

  @Override public VmMigration emigrate(String host, String group, int vm, String target) {
    Emigrated out = Wire.GSON.fromJson(send(host, new EmigrateVmCommand(group,
        json(new EmigrateOrder(group, vm, target)))), Emigrated.class);
    // A KVM host's hypervisor carries the guest itself: only a simulated guest's state travels here.
    if (out.guest() != null) guestsInFlight.put(group + "/" + vm, out.guest());
    return out.migration();
  }

  @Override public void immigrate(String host, String group, VmMigration migration) {
    ensureDeployed(host, group);
    GuestState guest = guestsInFlight.get(group + "/" + migration.transfer().vm());
    send(host, new ImmigrateVmCommand(group, json(new ImmigrateOrder(group, migration, guest))));
  }

  private void ensureDeployed(String host, String group) {
    if (!deployed.contains(host + "/" + group)) deploy(host, deploymentOf.apply(group));
  }

  /** Sends the order and returns the answer's body; unreachable and refused hosts are told apart. */
  String send(String host, VmqscCommand command) {
    long id = hosts.byUuid(host).map(KnownHosts.KnownHost::id)
        .orElseThrow(() -> new HostUnreachableException(host, "it is not connected to this management server"));
    Answer answer;
    try {
      answer = agents.send(id, command);
    } catch (AgentUnavailableException | OperationTimedoutException e) {
      throw new HostUnreachableException(host, command.getClass().getSimpleName() + ": " + e.getMessage());
    }
    if (answer == null) throw new HostUnreachableException(host, command.getClass().getSimpleName() + ": no answer");
    if (answer instanceof VmqscAnswer v) {
      if (v.getResult()) return v.getBody();
      if (v.isNotNow()) throw new MigrationRefusedException(v.getDetails());
    } else if (answer.getResult()) {
      throw new IllegalStateException("host " + host + " answered " + command.getClass().getSimpleName()
          + " with a " + answer.getClass().getName() + ": is the vmqsc-kvm jar in its agent's lib folder?");
    }
    throw new IllegalStateException("host " + host + " refused " + command.getClass().getSimpleName() + ": "
        + answer.getDetails());
  }

  private static String json(Object order) {
    return Wire.GSON.toJson(order);
  }
}
