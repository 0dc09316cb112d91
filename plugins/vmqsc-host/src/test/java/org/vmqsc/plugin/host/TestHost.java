package org.vmqsc.plugin.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import org.vmqsc.agent.CheckpointAgent;
import org.vmqsc.agent.driver.HypervisorDriver;
import org.vmqsc.agent.engine.CheckpointEngine;
import org.vmqsc.agent.engine.FixedChunker;
import org.vmqsc.agent.flush.BandwidthBudget;
import org.vmqsc.agent.flush.LazyFlusher;
import org.vmqsc.agent.log.DirectoryMessageStore;
import org.vmqsc.agent.store.DirectoryStore;

/**
 * One host of a plugin test, whichever hypervisor's wrappers drive it: the test's guests, real checkpoints into its
 * own staging store, a flusher to the stable store and message logs that every host of the test shares (under
 * {@code root/stable}), and its {@link HostAgent} on the test's clock.
 */
public final class TestHost implements AutoCloseable {

  public final LazyFlusher flusher;
  public final HostAgent agent;
  /** This host's staging store, and the stable store every host of the test shares. */
  public final DirectoryStore staging;
  public final DirectoryStore stable;

  /**
   * @param driver the host's guests (simulated ones, or a fault injector around them)
   * @param checkpointThreads the agent's checkpoint threads, fixed whatever this machine's cores
   */
  public TestHost(Path root, String name, Clock clock, HypervisorDriver driver, int checkpointThreads)
      throws IOException {
    Path stable = root.resolve("stable");
    DirectoryStore staging = DirectoryStore.open("staging", Files.createDirectories(root.resolve(name).resolve("staging")));
    DirectoryStore shared = DirectoryStore.openShared("stable", stable.resolve("checkpoints"));
    this.staging = staging;
    this.stable = shared;
    flusher = new LazyFlusher(staging, shared, BandwidthBudget.unlimited(), 50).start();
    CheckpointAgent checkpoints = new CheckpointAgent(driver, new CheckpointEngine(staging,
        new FixedChunker(1)), shared, flusher, Files.createDirectories(root.resolve(name).resolve("scratch")));
    agent = new HostAgent(checkpoints, flusher, DirectoryMessageStore.open(stable.resolve("logs")), clock,
        checkpointThreads).collecting(staging, shared, HostAgent.SWEEP_EVERY, HostAgent.sweepOf(shared));
  }

  @Override public void close() throws InterruptedException {
    agent.close();
    flusher.close();
  }
}
