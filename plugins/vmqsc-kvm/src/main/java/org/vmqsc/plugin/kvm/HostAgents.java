package org.vmqsc.plugin.kvm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;
import org.vmqsc.agent.CheckpointAgent;
import org.vmqsc.agent.engine.CheckpointEngine;
import org.vmqsc.agent.engine.ChunkerChoice;
import org.vmqsc.agent.flush.BandwidthBudget;
import org.vmqsc.agent.flush.LazyFlusher;
import org.vmqsc.agent.kvm.KvmDriver;
import org.vmqsc.agent.log.DirectoryMessageStore;
import org.vmqsc.agent.store.DirectoryStore;
import org.vmqsc.plugin.host.HostAgent;
import org.vmqsc.plugin.host.HostStorage;
import org.vmqsc.plugin.host.HostTraffic;

/**
 * The one {@link HostAgent} of this agent process, made on first use: checkpoints through libvirt (agent-ext's
 * {@code KvmDriver}), staged in the host's staging folder and flushed to the shared stable storage at the flush
 * bandwidth, as the cluster's settings say ({@link HostStorage}: they come with each deployment; the agent JVM's
 * system properties override them). With {@code vmqsc.relay.bridge} naming the Linux bridge of the relay network on
 * this host, the agent carries the protected guests' traffic on it (see {@code HostTraffic}); without it, it only
 * checkpoints. Tests install their own with {@link #install}.
 */
public final class HostAgents {

  private static final org.apache.logging.log4j.Logger LOG =
      org.apache.logging.log4j.LogManager.getLogger(HostAgents.class);
  private static HostAgent instance;
  /** The cluster's storage settings, as the last deployment carried them; the agent opens with them. */
  private static HostStorage configured = HostStorage.DEFAULTS;
  /** What the agent opened with. */
  private static HostStorage opened;

  private HostAgents() {}

  public static synchronized HostAgent get() {
    if (instance == null) {
      opened = configured.withSystemProperties();
      instance = openKvm(opened);
    }
    return instance;
  }

  /**
   * The cluster's storage settings, from a deployment: the agent opens its stores with them (its JVM's system
   * properties over them); once open, a change is logged and applies when the agent restarts.
   */
  public static synchronized void configure(HostStorage storage) {
    configured = storage;
    if (opened != null && !opened.equals(storage.withSystemProperties())) {
      LOG.warn("vmqsc: the storage settings are now {}, the agent runs with {}: restart it to apply them",
          storage.withSystemProperties(), opened);
    }
  }

  /** Replaces the process's agent (tests: one over the simulator driver). */
  public static synchronized void install(HostAgent agent) {
    instance = agent;
  }

  /**
   * The libvirt driver of a CloudStack KVM host: CloudStack keeps each volume's path in its database, so a volume's
   * state at a checkpoint stays inside the volume's qcow2 file as an internal snapshot, never in an overlay above it
   * (a VM CloudStack starts again would run from the base file without the writes since).
   */
  public static KvmDriver driver(Connect connect, Path scratch) throws IOException {
    KvmDriver driver = new KvmDriver(connect, scratch);
    driver.setDiskCut(KvmDriver.DiskCut.INTERNAL_SNAPSHOTS);
    return driver;
  }

  private static HostAgent openKvm(HostStorage storage) {
    Path staging = storage.staging();
    Path stable = storage.stable();
    try {
      DirectoryStore hostStore = DirectoryStore.open("staging", staging.resolve("checkpoints"));
      DirectoryStore stableStore = DirectoryStore.openShared("stable", stable.resolve("checkpoints"));
      LazyFlusher flusher = new LazyFlusher(hostStore, stableStore,
          new BandwidthBudget(storage.flushBytesPerSecond()), 1000).start();
      KvmDriver driver = driver(new Connect("qemu:///system"), staging.resolve("scratch"));
      CheckpointAgent checkpoints = new CheckpointAgent(driver, new CheckpointEngine(hostStore, ChunkerChoice.standard()),
          stableStore, flusher, staging.resolve("restore"));
      HostAgent agent = new HostAgent(checkpoints, flusher, DirectoryMessageStore.open(stable.resolve("logs")),
          Clock.systemUTC())
          .collecting(hostStore, stableStore, HostAgent.SWEEP_EVERY, HostAgent.sweepOf(stableStore));
      String bridge = System.getProperty("vmqsc.relay.bridge", "");
      return bridge.isBlank() ? agent : agent.carrying(new HostTraffic(HostTraffic.bridge(bridge)));
    } catch (IOException e) {
      throw new UncheckedIOException("vmqsc cannot open its stores under " + staging + " and " + stable, e);
    } catch (LibvirtException e) {
      throw new IllegalStateException("vmqsc cannot connect to libvirt: " + e.getMessage(), e);
    }
  }
}
