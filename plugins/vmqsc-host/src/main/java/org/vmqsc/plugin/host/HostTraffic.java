package org.vmqsc.plugin.host;

import java.io.IOException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.vmqsc.agent.net.GuestNics;
import org.vmqsc.agent.net.TunnelConfig;
import org.vmqsc.agent.net.UdpTunnel;

/**
 * What one host needs to carry its protected guests' traffic: where a VM's NIC on the relay network is
 * ({@link NicPort}), the host's tunnel to the other hosts' relays, and the one thread that hands frames to the
 * host agent (in arrival order, on its lock). Without it a host agent checkpoints its VMs and logs nothing.
 */
public final class HostTraffic implements AutoCloseable {

  private static final Logger LOG = LogManager.getLogger(HostTraffic.class);

  /** How a protected VM's NIC on the relay network joins its group's switch on this host. */
  @FunctionalInterface
  public interface NicPort {
    void attach(GuestNics nics, int vm, String vmUuid) throws IOException;
  }

  /**
   * NICs on the Linux bridge {@code bridge} of this host (a KVM host's relay network): the relay serves the bridge
   * through a TAP of its own and keeps the guests' ports isolated, so guests reach each other only through it.
   */
  public static NicPort bridge(String bridge) {
    return (nics, vm, vmUuid) -> nics.attachBridged(vm, bridge);
  }

  private final NicPort nicPort;
  private final TunnelConfig tunnelConfig;
  private final ExecutorService frames = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "vmqsc-frames");
    t.setDaemon(true);
    return t;
  });
  private UdpTunnel tunnel;

  public HostTraffic(NicPort nicPort) {
    this(nicPort, TunnelConfig.defaults());
  }

  public HostTraffic(NicPort nicPort, TunnelConfig tunnelConfig) {
    this.nicPort = nicPort;
    this.tunnelConfig = tunnelConfig;
  }

  NicPort nicPort() {
    return nicPort;
  }

  /** The thread frames reach the host agent on. */
  ExecutorService frames() {
    return frames;
  }

  /**
   * The host's tunnel, opened on {@code address} (as the manager names this host's relay: its private address and
   * the relay port) the first time one is asked for; null when {@code address} is null and none is open yet.
   */
  synchronized UdpTunnel tunnel(String address) throws IOException {
    if (tunnel == null && address != null) {
      tunnel = UdpTunnel.open(UdpTunnel.parseAddress(address), tunnelConfig, (peer, undelivered) ->
          LOG.warn("vmqsc: relay of host {} unreachable: {} frames dropped", peer, undelivered));
    } else if (tunnel != null && address != null && !tunnel.address().equals(UdpTunnel.parseAddress(address))) {
      LOG.warn("vmqsc: the manager names this host's relay {}, but it runs at {}", address, tunnel.address());
    }
    return tunnel;
  }

  @Override public synchronized void close() {
    frames.shutdownNow();
    if (tunnel != null) tunnel.close();
  }
}
