package org.vmqsc.agent.xen;

import com.xensource.xenapi.Network;
import com.xensource.xenapi.PIF;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VIF;
import com.xensource.xenapi.VM;
import java.io.IOException;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The path of a protected VM's messages on a Xen host: a VIF on the pool's host-internal network (a network with no
 * physical interface, so its frames never leave the host), whose bridge ({@code xapiN} in dom0) the host's relay
 * serves. The relay, not the physical network, carries the frames between hosts, stamped and logged as VM_QSC
 * requires. This class makes sure each VM has that VIF and names the bridge; it refuses a network with a physical
 * interface, whose frames would bypass the relay, and one whose MTU leaves no room for the relay's VXLAN header.
 */
public final class RelayNetwork {

  /** The VIF's mark in its {@code other_config}, so an admin can tell it from CloudStack's own VIFs. */
  static final String MARK = "vmqsc-relay";

  /**
   * The largest MTU of the relay network: a guest's frame crosses to the management server's relay inside VXLAN
   * ({@code vmqsc-relay-port.sh}), 50 bytes of outer headers, over a path taken to carry 1500 bytes. A longer frame
   * would be dropped by dom0's bridge without a word, so a larger network MTU is refused rather than used.
   */
  static final long MAX_MTU = 1500 - 50;

  /** Where a VM's relay VIF is: its device number in the guest, and the dom0 bridge the relay listens on. */
  public record Attachment(String vifDevice, String bridge, boolean created) {}

  private final XapiSession xapi;
  private final String networkName;

  /** @param networkName the {@code name_label} of the pool's host-internal network for vmqsc */
  public RelayNetwork(XapiSession xapi, String networkName) {
    this.xapi = xapi;
    this.networkName = networkName;
  }

  /**
   * Gives the VM a VIF on the relay network unless it has one. A new VIF is plugged when the VM next starts or
   * resumes (XAPI hot-plugs it into a running VM only with the guest's PV drivers; this class does not plug it).
   */
  public Attachment attach(String vmName) throws IOException {
    VM vm = XapiVms.byName(xapi, vmName);
    Network network = network();
    long mtu = xapi.call("the MTU of network " + networkName, network::getMTU);
    if (mtu > MAX_MTU) {
      String uuid = xapi.call("the uuid of network " + networkName, network::getUuid);
      throw new IOException("network " + networkName + " has MTU " + mtu + ": its guests' frames would not fit, with "
          + "VXLAN's 50 bytes, in the 1500 bytes to the relay; set it to " + MAX_MTU + ": xe network-param-set uuid="
          + uuid + " MTU=" + MAX_MTU + " (and the guests' NICs to " + MAX_MTU + ")");
    }
    String bridge = xapi.call("the bridge of network " + networkName, network::getBridge);
    for (VIF vif : xapi.call("the VIFs of " + vmName, vm::getVIFs)) {
      if (xapi.call("the network of a VIF of " + vmName, vif::getNetwork).equals(network)) {
        return new Attachment(xapi.call("the device of " + vmName + "'s relay VIF", vif::getDevice), bridge, false);
      }
    }
    Set<String> free = new TreeSet<>(xapi.call("the free VIF devices of " + vmName, vm::getAllowedVIFDevices));
    if (free.isEmpty()) {
      throw new IOException(vmName + " has no free VIF device for the relay network " + networkName);
    }
    String device = free.stream().min((a, b) -> Integer.compare(Integer.parseInt(a), Integer.parseInt(b))).get();
    VIF.Record record = new VIF.Record();
    record.VM = vm;
    record.network = network;
    record.device = device;
    record.MAC = "";  // XAPI makes one up
    record.MTU = mtu;  // the network's, checked above to leave room for VXLAN
    record.statusCode = 0L;
    record.otherConfig = new HashMap<>(Map.of(MARK, "true"));
    record.qosAlgorithmType = "";
    record.qosAlgorithmParams = new HashMap<>();
    record.lockingMode = Types.VifLockingMode.NETWORK_DEFAULT;
    record.ipv4ConfigurationMode = Types.VifIpv4ConfigurationMode.NONE;
    record.ipv6ConfigurationMode = Types.VifIpv6ConfigurationMode.NONE;
    record.ipv4Allowed = new LinkedHashSet<>();
    record.ipv6Allowed = new LinkedHashSet<>();
    xapi.call("a relay VIF for " + vmName, c -> VIF.create(c, record));
    return new Attachment(device, bridge, true);
  }

  /** The one network of that name, checked to be host-internal. */
  private Network network() throws IOException {
    Set<Network> found = xapi.call("the network " + networkName, c -> Network.getByNameLabel(c, networkName));
    if (found.size() != 1) {
      throw new IOException(found.isEmpty()
          ? "the pool has no network named " + networkName + "; create it as a host-internal network (no PIF): "
              + "xe network-create name-label=" + networkName
          : found.size() + " networks are named " + networkName + "; the relay needs exactly one");
    }
    Network network = found.iterator().next();
    Set<PIF> pifs = xapi.call("the physical interfaces of " + networkName, network::getPIFs);
    if (!pifs.isEmpty()) {
      throw new IOException("network " + networkName + " has " + pifs.size() + " physical interface(s): its frames "
          + "would leave the host past the relay; vmqsc needs a host-internal network (no PIF)");
    }
    return network;
  }
}
