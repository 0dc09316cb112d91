package org.vmqsc.plugin.server.host;

import com.cloud.host.Host;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The KVM and Xen hosts connected to this management server, as CloudStack's agent manager tells of them (connect and
 * disconnect events): what the manager can send orders to, by uuid. After a management-server restart every agent
 * connects again, so the table fills itself.
 */
public final class KnownHosts {

  /** A host as the plugin addresses it: CloudStack's id for commands, its relay address for frames. */
  public record KnownHost(long id, String uuid, String name, long zoneId, Long clusterId, String relay) {}

  private final Map<String, KnownHost> byUuid = new ConcurrentHashMap<>();
  private final int relayPort;

  public KnownHosts(int relayPort) {
    this.relayPort = relayPort;
  }

  public void connected(Host host) {
    byUuid.put(host.getUuid(), new KnownHost(host.getId(), host.getUuid(), host.getName(), host.getDataCenterId(),
        host.getClusterId(),
        host.getPrivateIpAddress() + ":" + relayPort));
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
