package org.vmqsc.plugin.server;

import com.cloud.agent.AgentManager;
import com.cloud.ha.FenceBuilder;
import com.cloud.host.Host;
import com.cloud.network.NetworkModel;
import com.cloud.utils.component.ManagerBase;
import com.cloud.utils.component.PluggableService;
import com.cloud.utils.db.EntityManager;
import com.cloud.utils.db.TransactionLegacy;

import com.cloud.vm.VirtualMachine;
import com.cloud.vm.VirtualMachineManager;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;
import javax.inject.Inject;
import javax.sql.DataSource;
import org.apache.cloudstack.framework.config.ConfigKey;
import org.apache.cloudstack.framework.config.Configurable;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.vmqsc.db.Migrator;
import org.vmqsc.plugin.server.api.command.AddVmToProtectionGroupCmd;
import org.vmqsc.plugin.server.api.command.CreateProtectionGroupCmd;
import org.vmqsc.plugin.server.api.command.DeleteProtectionGroupCmd;
import org.vmqsc.plugin.server.api.command.EnableProtectionGroupCmd;
import org.vmqsc.plugin.server.api.command.ListLogSegmentsCmd;
import org.vmqsc.plugin.server.api.command.ListProtectionGroupsCmd;
import org.vmqsc.plugin.server.api.command.ListRecoveryEventsCmd;
import org.vmqsc.plugin.server.api.command.ListRecoveryLinesCmd;
import org.vmqsc.plugin.server.api.command.ListVmCheckpointsCmd;
import org.vmqsc.plugin.server.api.command.ListVmClassAdviceCmd;
import org.vmqsc.plugin.server.api.command.RecoverProtectionGroupCmd;
import org.vmqsc.plugin.server.api.command.RemoveVmFromProtectionGroupCmd;
import org.vmqsc.plugin.server.api.command.UpdateProtectionGroupCmd;
import org.vmqsc.plugin.server.api.command.UpdateVmInProtectionGroupCmd;
import org.vmqsc.plugin.server.db.CloudStackDataSource;
import org.vmqsc.plugin.server.host.AgentCommandChannel;
import org.vmqsc.plugin.server.host.CheckpointTicks;
import org.vmqsc.plugin.server.host.CloudStackCluster;
import org.vmqsc.plugin.server.host.CloudEvents;
import org.vmqsc.plugin.server.host.CloudStackEvents;
import org.vmqsc.plugin.server.host.CloudStackVmPlacement;
import org.vmqsc.plugin.server.host.HostFailureListener;
import org.vmqsc.plugin.server.host.HostFencer;
import org.vmqsc.plugin.server.host.KnownHosts;
import org.vmqsc.plugin.server.host.RelayNics;
import org.vmqsc.plugin.server.host.MigrationFollower;
import org.vmqsc.server.api.Cluster;
import org.vmqsc.server.catalog.Catalog;
import org.vmqsc.server.persistence.CatalogDatabase;
import org.vmqsc.server.recovery.MigrationCoordinator;
import org.vmqsc.server.recovery.RecoveryCoordinator;
import org.vmqsc.server.runtime.ReportIntake;
import org.vmqsc.server.runtime.StorageReconciler;
import org.vmqsc.server.service.ProtectionService;

/**
 * The plugin's one manager bean: at start it migrates the plugin's {@code vmqsc_} tables in CloudStack's
 * {@code cloud} database (on CloudStack's own pool), opens the catalog there, listens for KVM and Xen hosts
 * connecting and going Down, and ticks the hosts of enabled groups; it hands CloudStack the API commands and the
 * settings.
 */
public class VmqscManagerImpl extends ManagerBase implements VmqscManager, PluggableService, Configurable {

  private static final Logger log = LogManager.getLogger(VmqscManagerImpl.class);

  /** The UDP port of each host's vmqsc relay (frames between protected VMs' hosts). */
  static final int RELAY_PORT = 4790;

  @Inject private AgentManager agentManager;
  @Inject private EntityManager entities;
  @Inject private VirtualMachineManager vmManager;
  @Inject private NetworkModel networkModel;
  /** CloudStack's fencers (KVMFencer, ...), set from its fence-builder registry in the Spring context. */
  private List<FenceBuilder> fenceBuilders = List.of();
  /** Where automatic recoveries are recorded for admins: CloudStack's events. */
  private CloudEvents cloudEvents = new CloudStackEvents();

  private ProtectionService service;
  private CloudStackCluster cluster;
  private int listenerId = -1;
  /** Registered on CloudStack's VM state machine at start; tests hand transitions to it themselves. */
  private MigrationFollower migrationFollower;
  private ScheduledExecutorService ticks;
  private ExecutorService recoveries;

  public void setFenceBuilders(List<FenceBuilder> fenceBuilders) {
    this.fenceBuilders = fenceBuilders;
  }

  /** Zone id → the uuid of its relay network: {@code vmqsc.relay.network} unless a test sets its own. */
  private LongFunction<String> relayNetworks = zone -> VmqscSettings.RELAY_NETWORK.valueIn(zone);

  void setRelayNetworks(LongFunction<String> relayNetworks) {
    this.relayNetworks = relayNetworks;
  }

  /**
   * Tells {@code target} that {@code vmUuid} runs on {@code where} (itself while CloudStack moves the VM there: it
   * then takes the VM's frames before the hand-off; the source when the move failed). Unreachable: logged.
   */
  private void tellTarget(AgentCommandChannel channel, String group, String vmUuid, String target, String where) {
    try {
      for (var m : service.members(group)) {
        if (m.vmUuid().equals(vmUuid)) channel.placement(target, group, m.number(), where);
      }
    } catch (RuntimeException e) {
      log.warn("vmqsc: host {} was not told where VM {} runs during its migration: {}", target, vmUuid,
          e.getMessage());
    }
  }

  /** On CloudStack's own pool and credentials (db.properties, decrypted by CloudStack), on the cloud database. */
  @Override public boolean start() {
    startOnDatabase(new CloudStackDataSource(TransactionLegacy::getStandaloneConnection));
    VirtualMachine.State.getStateMachine().registerListener(migrationFollower);
    return true;
  }

  /**
   * Migrates the vmqsc_ tables (Flyway, history in vmqsc_schema_history; CloudStack's own tables and its version
   * table are never touched; management servers starting together migrate once), then opens the catalog there.
   */
  void startOnDatabase(DataSource cloudDb) {
    log.info("vmqsc: {}", new Migrator(cloudDb).migrate());
    startOn(new Catalog(CatalogDatabase.open(cloudDb), managerId()));
  }

  /** Everything but the database: what the tests start on a service of their own. */
  void startOn(ProtectionService protection) {
    this.service = protection;
    KnownHosts hosts = new KnownHosts(RELAY_PORT, VmqscSettings.XEN_RELAY_ADDRESS::value);
    HostFencer fencer = new HostFencer(service, entities, () -> fenceBuilders);
    AgentCommandChannel channel = new AgentCommandChannel(agentManager, hosts, fencer,
        new CloudStackVmPlacement(entities, vmManager), (group, vm) -> vmUuid(group, vm),
        group -> cluster.deployment(group, List.of()));
    RelayNics relayNics = new RelayNics(entities, networkModel, relayNetworks);
    this.cluster = new CloudStackCluster(service, channel, new RecoveryCoordinator(service, channel), hosts,
        cloudEvents, Clock.systemUTC(), relayNics::macOf);
    this.recoveries = Executors.newSingleThreadExecutor(daemon("vmqsc-recovery"));
    this.migrationFollower = new MigrationFollower(service, entities, new MigrationCoordinator(service, channel),
        recoveries, new MigrationFollower.Expectations() {
          @Override public void moving(String group, String vm, String target) {
            tellTarget(channel, group, vm, target, target);
          }

          @Override public void stayed(String group, String vm, String source, String target) {
            tellTarget(channel, group, vm, target, source);
          }
        });
    this.listenerId = agentManager.registerForHostEvents(new HostFailureListener(hosts, recoveries,
        cluster::hostDown, this::hostUuid, zone -> VmqscSettings.ENABLED.valueIn(zone)), true, false, true);
    ReportIntake intake = new ReportIntake(service, channel, (line, collected) -> { },
        VmqscSettings.CHECKPOINTS_KEPT::value);
    long heartbeat = VmqscSettings.HEARTBEAT_MS.value();
    this.ticks = Executors.newSingleThreadScheduledExecutor(daemon("vmqsc-ticks"));
    ticks.scheduleWithFixedDelay(new CheckpointTicks(service, channel, intake), heartbeat, heartbeat,
        TimeUnit.MILLISECONDS);
    // The first a grace after start: every report held back while no management server ran has arrived by then.
    long grace = Math.max(VmqscSettings.STORAGE_GRACE_MS.value(), 10 * VmqscSettings.LEASE_MS.value());
    StorageReconciler reconciler = new StorageReconciler(service, channel, Duration.ofMillis(grace));
    ticks.scheduleWithFixedDelay(() -> {
      try {
        reconciler.run();
      } catch (RuntimeException e) {
        log.warn("vmqsc could not tell the hosts what storage its tables name: {}", e.getMessage());
      }
    }, grace, grace, TimeUnit.MILLISECONDS);
  }

  @Override public boolean stop() {
    if (listenerId >= 0) agentManager.unregisterForHostEvents(listenerId);
    if (migrationFollower != null) migrationFollower.stop(); // stays registered: CloudStack cannot remove it
    if (ticks != null) ticks.shutdownNow();
    if (recoveries != null) recoveries.shutdownNow();
    return true;
  }

  @Override public ProtectionService service() {
    if (service == null) throw new IllegalStateException("the vmqsc manager has not started");
    return service;
  }

  @Override public Cluster cluster() {
    if (cluster == null) throw new IllegalStateException("the vmqsc manager has not started");
    return cluster;
  }

  MigrationFollower migrationFollower() {
    return migrationFollower;
  }

  @Override public List<Class<?>> getCommands() {
    return List.of(CreateProtectionGroupCmd.class, ListProtectionGroupsCmd.class, UpdateProtectionGroupCmd.class,
        DeleteProtectionGroupCmd.class, AddVmToProtectionGroupCmd.class, RemoveVmFromProtectionGroupCmd.class,
        EnableProtectionGroupCmd.class, ListVmCheckpointsCmd.class, ListRecoveryLinesCmd.class,
        RecoverProtectionGroupCmd.class, ListRecoveryEventsCmd.class, UpdateVmInProtectionGroupCmd.class,
        ListVmClassAdviceCmd.class, ListLogSegmentsCmd.class);
  }

  @Override public String getConfigComponentName() {
    return VmqscManager.class.getSimpleName();
  }

  @Override public ConfigKey<?>[] getConfigKeys() {
    return VmqscSettings.ALL.clone();
  }

  private String vmUuid(String group, int number) {
    return service.members(group).stream().filter(m -> m.number() == number).findFirst()
        .orElseThrow(() -> new IllegalStateException("group " + group + " has no VM " + number)).vmUuid();
  }

  private String hostUuid(long hostId) {
    Host host = entities.findById(Host.class, hostId);
    return host == null ? null : host.getUuid();
  }

  /** Names this management server in recovery events (which manager ran a recovery). */
  private static String managerId() {
    try {
      return "ms-" + InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "ms-" + ProcessHandle.current().pid();
    }
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }
}
