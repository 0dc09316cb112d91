package org.vmqsc.plugin.xen;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.vmqsc.agent.CheckpointAgent;
import org.vmqsc.agent.engine.CheckpointEngine;
import org.vmqsc.agent.engine.ChunkerChoice;
import org.vmqsc.agent.flush.BandwidthBudget;
import org.vmqsc.agent.flush.LazyFlusher;
import org.vmqsc.agent.log.DirectoryMessageStore;
import org.vmqsc.agent.net.RemoteBridge;
import org.vmqsc.agent.net.VxlanEndpoint;
import org.vmqsc.agent.store.DirectoryStore;
import org.vmqsc.agent.xen.XapiSession;
import org.vmqsc.agent.xen.XenDriver;
import org.vmqsc.plugin.host.HostAgent;
import org.vmqsc.plugin.host.HostStorage;
import org.vmqsc.plugin.host.HostTraffic;

/**
 * The {@link HostAgent}s this management server runs, one per Xen host whose CloudStack resource it holds (Xen
 * hosts have no agent of their own: CloudStack drives them from here through XAPI). Each is made on its host's
 * first order: checkpoints through agent-ext's {@code XenDriver} over the resource's XAPI connection, staged under
 * {@code vmqsc.staging.directory}/{@code <host uuid>} and flushed to the shared stable storage at the flush
 * bandwidth, as the settings the last deployment carried say ({@link HostStorage}; the management server's JVM's
 * system properties override them). When a deployment says how the relay reaches the host's dom0 ({@link XenRelay}),
 * the agent carries the guests' traffic: one {@link VxlanEndpoint} per address and VNI in this management server,
 * shared by every Xen host, serves each host's relay bridge in its dom0 ({@code vmqsc-relay-port.sh}), and each
 * protected VM's NIC joins its group's switch there. Tests install their own factory; the traffic is wired the same
 * way for theirs.
 */
public final class XenHostAgents {

  /** Opens the agent of one Xen host. */
  @FunctionalInterface
  public interface Factory {
    HostAgent open(String hostUuid, XapiSession.Login connections) throws IOException;
  }

  private static final org.apache.logging.log4j.Logger LOG =
      org.apache.logging.log4j.LogManager.getLogger(XenHostAgents.class);

  /** XAPI calls are tried 3 times, 1 s then 2 s apart, while the pool master does not answer. */
  private static final int ATTEMPTS = 3;
  private static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
  /** One XAPI task (a checkpoint of a large VM, a revert) may take this long before it is cancelled. */
  private static final Duration TASK_DEADLINE = Duration.ofMinutes(10);

  private static final Map<String, HostAgent> BY_HOST = new ConcurrentHashMap<>();
  private static volatile Factory factory = XenHostAgents::openXen;

  /**
   * Per Xen host, the storage settings the last deployment to it carried (its cluster's): its agent opens its
   * stores with them. One management server holds hosts of several clusters, whose settings may differ.
   */
  private static final Map<String, HostStorage> CONFIGURED = new ConcurrentHashMap<>();

  /** Per Xen host, how its relay reaches its dom0, from the deployments to it. */
  private static final Map<String, XenRelay> RELAYS = new ConcurrentHashMap<>();
  /** This management server's VXLAN endpoints, by address and VNI: one serves every Xen host's dom0. */
  private static final Map<String, VxlanEndpoint> ENDPOINTS = new ConcurrentHashMap<>();

  private XenHostAgents() {}

  /**
   * The storage settings of the cluster of the Xen host with XAPI uuid {@code hostUuid}, from a deployment to it:
   * its agent, when opened from now on, uses them (one already open keeps its own until a restart).
   */
  public static void configure(String hostUuid, HostStorage storage) {
    configure(hostUuid, storage, null);
  }

  /**
   * As {@link #configure(String, HostStorage)}, with how the host's relay reaches its dom0 (null: as before). An
   * agent already open that carries no traffic yet carries it from now on (groups deployed from now on).
   */
  public static void configure(String hostUuid, HostStorage storage, XenRelay relay) {
    CONFIGURED.put(hostUuid, storage);
    if (relay == null) return;
    XenRelay before = RELAYS.put(hostUuid, relay);
    HostAgent open = BY_HOST.get(hostUuid);
    if (open != null && !open.carriesTraffic()) {
      open.carrying(traffic(relay));
    } else if (open != null && before != null && !before.equals(relay)) {
      LOG.warn("vmqsc: the Xen relay of host {} is now {}; its agent carries traffic over {} until it restarts",
          hostUuid, relay, before);
    }
  }

  /** A Xen host's traffic: its VMs' NICs are ports of its dom0's relay bridge, served over VXLAN from here. */
  static HostTraffic traffic(XenRelay relay) {
    VxlanEndpoint endpoint = ENDPOINTS.computeIfAbsent(relay.endpoint() + "/" + relay.vni(), k -> {
      try {
        return VxlanEndpoint.open(relay.endpoint(), relay.vni());
      } catch (IOException e) {
        throw new UncheckedIOException("vmqsc cannot open its VXLAN endpoint on " + relay.endpoint() + ": "
            + e.getMessage(), e);
      }
    });
    RemoteBridge bridge = endpoint.register(relay.dom0Port());
    return new HostTraffic((nics, vm, vmUuid) -> nics.attachRemoteBridge(vm, bridge));
  }

  /** The agent of the Xen host with XAPI uuid {@code hostUuid}, opened with {@code connections} on first use. */
  public static HostAgent forHost(String hostUuid, XapiSession.Login connections) {
    if (hostUuid == null || hostUuid.isBlank()) {
      throw new IllegalStateException("the Xen resource does not know its host's uuid yet");
    }
    return BY_HOST.computeIfAbsent(hostUuid, uuid -> {
      try {
        HostAgent agent = factory.open(uuid, connections);
        XenRelay relay = RELAYS.get(uuid);
        return relay == null ? agent : agent.carrying(traffic(relay));
      } catch (IOException e) {
        throw new UncheckedIOException("vmqsc cannot open its stores for Xen host " + uuid + ": " + e.getMessage(),
            e);
      }
    });
  }

  /** Replaces how agents are opened and forgets those open and their settings (tests). */
  public static void install(Factory replacement) {
    BY_HOST.clear();
    CONFIGURED.clear();
    RELAYS.clear();
    ENDPOINTS.values().forEach(VxlanEndpoint::close);
    ENDPOINTS.clear();
    factory = replacement == null ? XenHostAgents::openXen : replacement;
  }

  private static HostAgent openXen(String hostUuid, XapiSession.Login connections) throws IOException {
    HostStorage storage = CONFIGURED.getOrDefault(hostUuid, HostStorage.DEFAULTS).withSystemProperties();
    Path staging = storage.staging().resolve(hostUuid);
    Path stable = storage.stable();
    DirectoryStore hostStore = DirectoryStore.open("staging", staging.resolve("checkpoints"));
    DirectoryStore stableStore = DirectoryStore.openShared("stable", stable.resolve("checkpoints"));
    LazyFlusher flusher = new LazyFlusher(hostStore, stableStore,
        new BandwidthBudget(storage.flushBytesPerSecond()), 1000).start();
    XapiSession xapi = XapiSession.borrowing(connections, "the pool of Xen host " + hostUuid, ATTEMPTS,
        FIRST_BACKOFF);
    XenDriver driver = new XenDriver(xapi, hostUuid, TASK_DEADLINE);
    CheckpointAgent checkpoints = new CheckpointAgent(driver, new CheckpointEngine(hostStore, ChunkerChoice.standard()),
        stableStore, flusher, staging.resolve("restore"));
    return new HostAgent(checkpoints, flusher, DirectoryMessageStore.open(stable.resolve("logs")), Clock.systemUTC())
        .collecting(hostStore, stableStore, HostAgent.SWEEP_EVERY, HostAgent.sweepOf(stableStore));
  }
}
