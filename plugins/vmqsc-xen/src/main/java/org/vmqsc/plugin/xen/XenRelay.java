package org.vmqsc.plugin.xen;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import org.vmqsc.agent.net.UdpTunnel;
import org.vmqsc.plugin.command.DeployGroupCommand;

/**
 * How the relay of a Xen host, running in this management server, reaches the host's guests: through the
 * management server's VXLAN endpoint ({@code endpoint}, VNI {@code vni}) and the relay port of the relay network's
 * bridge in the host's dom0 ({@code dom0}: the address its VXLAN port sends from, at the endpoint's port, as
 * {@code vmqsc-relay-port.sh} makes it).
 */
public record XenRelay(InetSocketAddress endpoint, int vni, InetAddress dom0) {

  /** What a deployment to a Xen host says of its relay, or null when it says nothing (no traffic is carried). */
  public static XenRelay of(DeployGroupCommand command) {
    if (command.getXenVxlanEndpoint() == null || command.getXenVni() == null || command.getXenDom0() == null) {
      return null;
    }
    try {
      return new XenRelay(UdpTunnel.parseAddress(command.getXenVxlanEndpoint()), command.getXenVni(),
          InetAddress.getByName(command.getXenDom0()));
    } catch (UnknownHostException | IllegalArgumentException e) {
      throw new IllegalArgumentException("the Xen relay of the deployment is not usable ("
          + command.getXenVxlanEndpoint() + ", dom0 " + command.getXenDom0() + "): " + e.getMessage(), e);
    }
  }

  /** Where the dom0's VXLAN port is: its address, at the endpoint's port (it sends from that port too). */
  public InetSocketAddress dom0Port() {
    return new InetSocketAddress(dom0, endpoint.getPort());
  }
}
