package org.vmqsc.plugin.server.host;

import com.cloud.network.Network;
import com.cloud.network.NetworkModel;
import com.cloud.utils.db.EntityManager;
import com.cloud.vm.Nic;
import com.cloud.vm.VirtualMachine;
import java.util.function.LongFunction;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * A protected VM's NIC on its zone's relay network ({@code vmqsc.relay.network}): its MAC goes to every host of the
 * group, whose relay tells the group's frames apart by it. A VM without one (no relay network set, or no NIC on it)
 * has none, and its group's traffic is not carried.
 */
public final class RelayNics {

  private static final Logger log = LogManager.getLogger(RelayNics.class);

  private final EntityManager entities;
  private final NetworkModel networks;
  /** Zone id → the uuid of its relay network, blank when none. */
  private final LongFunction<String> relayNetworkOfZone;

  public RelayNics(EntityManager entities, NetworkModel networks, LongFunction<String> relayNetworkOfZone) {
    this.entities = entities;
    this.networks = networks;
    this.relayNetworkOfZone = relayNetworkOfZone;
  }

  /** The MAC of VM {@code vmUuid}'s NIC on its zone's relay network, or null when it has none. */
  public String macOf(String vmUuid) {
    VirtualMachine vm = entities.findByUuid(VirtualMachine.class, vmUuid);
    if (vm == null) return null;
    String networkUuid = relayNetworkOfZone.apply(vm.getDataCenterId());
    if (networkUuid == null || networkUuid.isBlank()) return null;
    Network network = entities.findByUuid(Network.class, networkUuid.trim());
    if (network == null) {
      log.warn("vmqsc: vmqsc.relay.network names {}, which is no network: VM {}'s traffic is not carried",
          networkUuid, vmUuid);
      return null;
    }
    Nic nic = networks.getNicInNetwork(vm.getId(), network.getId());
    if (nic == null) {
      log.warn("vmqsc: VM {} has no NIC on the relay network {}: add one (addNicToVirtualMachine) for its traffic"
          + " to be logged", vmUuid, network.getName());
      return null;
    }
    return nic.getMacAddress();
  }
}
