package org.vmqsc.plugin.server.host;

import com.cloud.host.Host;
import com.cloud.hypervisor.Hypervisor.HypervisorType;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The KVM and Xen hosts connected to this management server, as CloudStack's agent manager tells of them (connect and
 * disconnect events): what the manager can send orders to, by uuid. After a management-server restart every agent
 * connects again, so the table fills itself.
 *
 * <p>A host's relay address is where the other hosts send its VMs' frames. A KVM host's relay runs in its agent, on
 * its private address at the relay port. A Xen host has no agent: its node runs in this management server, so its
 * relay runs here, on {@code vmqsc.xen.relay.address}, at a port of its own (the relay port + 1, + 2, ... in the
 * order this management server first saw its Xen hosts; a host keeps its port while the server runs). Without that
 * address a Xen host has no relay.
 */
public final class KnownHosts {

  /**
   * A host as the plugin addresses it: CloudStack's id for commands, its private address, its relay address for
   * frames (null: none), and whether it is a Xen host (its node runs in this management server).
   */
  public record KnownHost(long id, String uuid, String name, long zoneId, Long clusterId, String address, String relay,
                          boolean xen) {}

  private final Map<String, KnownHost> byUuid = new ConcurrentHashMap<>();
  private final Map<String, Integer> xenPorts = new ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicInteger xenHostsSeen = new java.util.concurrent.atomic.AtomicInteger();
  private final int relayPort;
  private final Supplier<String> xenRelayAddress;

  /** A cloud of KVM hosts only (Xen hosts get no relay). */
  public KnownHosts(int relayPort) {
    this(relayPort, () -> "");
  }

  /** @param xenRelayAddress this management server's address for its Xen hosts' relays ("" for none) */
  public KnownHosts(int relayPort, Supplier<String> xenRelayAddress) {
    this.relayPort = relayPort;
    this.xenRelayAddress = xenRelayAddress;
  }

  public void connected(Host host) {
    boolean xen = host.getHypervisorType() == HypervisorType.XenServer;
    byUuid.put(host.getUuid(), new KnownHost(host.getId(), host.getUuid(), host.getName(), host.getDataCenterId(),
        host.getClusterId(), host.getPrivateIpAddress(), xen ? xenRelay(host.getUuid()) : host.getPrivateIpAddress()
        + ":" + relayPort, xen));
  }

  private String xenRelay(String uuid) {
    String address = xenRelayAddress.get();
    if (address == null || address.isBlank()) return null;
    int port = xenPorts.computeIfAbsent(uuid, u -> relayPort + 1 + xenHostsSeen.getAndIncrement());
    return address.trim() + ":" + port;
  }

  public Optional<KnownHost> disconnected(long hostId) {
    Optional<KnownHost> gone = byId(hostId);
    gone.ifPresent(h -> byUuid.remove(h.uuid()));
    return gone;
  }

  public Optional<KnownHost> byUuid(String uuid) {
    return Optional.ofNullable(byUuid.get(uuid));
  }

  public Optional<KnownHost> byId(long hostId) {
    return byUuid.values().stream().filter(h -> h.id() == hostId).findFirst();
  }

  public List<String> up() {
    return byUuid.keySet().stream().sorted().toList();
  }
}
