package org.vmqsc.agent.net;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The relay network's bridge in one Xen host's dom0, as the management server reaches it: through the bridge's VXLAN
 * port, whose far end is a {@link VxlanEndpoint}. Made by {@link VxlanEndpoint#register}; a group's
 * {@link GuestNics} serves its VMs behind it with {@code attachRemoteBridge}.
 *
 * <p>It holds who claimed which guest MAC on this bridge: a frame the dom0 sends goes to the one group's port that
 * claimed its source MAC. Two groups cannot claim the same MAC on one bridge (their frames could not be told apart).
 */
public final class RemoteBridge {

  /** A group's port for its VMs behind this bridge; called on whichever thread reads the endpoint's socket. */
  interface Receiver {
    /** A frame from a MAC this receiver claimed (owned by the receiver from now on), in arrival order. */
    void frame(byte[] frame);

    /** The end of a burst of datagrams that brought this receiver at least one frame. */
    void burstEnd();
  }

  private final VxlanEndpoint endpoint;
  private final InetSocketAddress dom0;
  private final Map<Long, Receiver> claims = new ConcurrentHashMap<>();

  RemoteBridge(VxlanEndpoint endpoint, InetSocketAddress dom0) {
    this.endpoint = endpoint;
    this.dom0 = dom0;
  }

  /** The dom0's VXLAN end: datagrams come from its address, and frames for its guests go to this address and port. */
  public InetSocketAddress dom0() {
    return dom0;
  }

  public VxlanEndpoint endpoint() {
    return endpoint;
  }

  /** Frames from {@code mac} go to {@code receiver} from now on; refused while another receiver holds that MAC. */
  void claim(long mac, Receiver receiver) {
    Receiver holder = claims.putIfAbsent(mac, receiver);
    if (holder != null && holder != receiver) {
      throw new IllegalStateException("MAC " + Ethernet.formatMac(mac) + " behind dom0 " + dom0.getAddress()
          .getHostAddress() + " is claimed by another group already");
    }
  }

  /** Frames from {@code mac} go nowhere from now on, if {@code receiver} held it. */
  void release(long mac, Receiver receiver) {
    claims.remove(mac, receiver);
  }

  /** Who claimed {@code mac}, or null. */
  Receiver claimant(long mac) {
    return claims.get(mac);
  }

  /** Sends {@code frame} to the dom0's bridge; false when the socket cannot take it now (lost as on a busy wire). */
  boolean send(byte[] frame) throws IOException {
    return endpoint.send(dom0, frame);
  }

  /** Reads, on the caller's thread, every datagram the endpoint's socket holds now (see {@link GuestNics#cut}). */
  void receiveWaiting() throws IOException {
    endpoint.receiveWaiting();
  }

  /** How long a cut of a VM behind this bridge waits for a quiet moment (see {@link VxlanEndpoint#settleMillis}). */
  int settleMillis() {
    return endpoint.settleMillis();
  }

  @Override public String toString() {
    return "dom0 " + dom0.getAddress().getHostAddress() + ":" + dom0.getPort() + " via " + endpoint.address();
  }
}
