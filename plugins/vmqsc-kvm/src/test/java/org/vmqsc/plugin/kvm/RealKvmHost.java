package org.vmqsc.plugin.kvm;

import static org.junit.Assert.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.function.UnaryOperator;
import org.junit.Assume;
import org.libvirt.Connect;
import org.vmqsc.agent.CheckpointAgent;
import org.vmqsc.agent.engine.CheckpointEngine;
import org.vmqsc.agent.engine.ChunkerChoice;
import org.vmqsc.agent.flush.BandwidthBudget;
import org.vmqsc.agent.flush.LazyFlusher;
import org.vmqsc.agent.kvm.KvmDriver;
import org.vmqsc.agent.kvm.LabGuest;
import org.vmqsc.agent.log.DirectoryMessageStore;
import org.vmqsc.agent.store.DirectoryStore;
import org.vmqsc.plugin.host.HostAgent;
import org.vmqsc.plugin.host.HostTraffic;

/**
 * One KVM host of the plugin's real-guest tests, as {@code HostAgents} opens it on a host with
 * {@code vmqsc.relay.bridge} set: its own relay bridge (a Linux bridge this class makes), its own staging store,
 * the stable store its test's hosts share, the libvirt driver, and its agent carrying the bridge's traffic. One
 * libvirt serves every host of a test.
 */
public final class RealKvmHost implements AutoCloseable {

  public final String bridge;
  public final KvmDriver driver;
  public final HostAgent agent;
  private final LazyFlusher flusher;

  /**
   * @param restoreEdit how this host changes a restored domain's XML (one libvirt plays several hosts whose bridges
   *                    differ by name, where a cluster's hosts all name theirs alike)
   */
  public RealKvmHost(Path root, Path stable, Connect connect, String bridge, UnaryOperator<String> restoreEdit)
      throws IOException {
    this.bridge = bridge;
    run("ip", "link", "add", bridge, "type", "bridge");
    Path ipv6 = Path.of("/proc/sys/net/ipv6/conf", bridge, "disable_ipv6");
    if (Files.exists(ipv6)) Files.writeString(ipv6, "1"); // the bridge's own device sends nothing
    run("ip", "link", "set", bridge, "up");
    DirectoryStore staging = DirectoryStore.open("staging", root.resolve("checkpoints"));
    DirectoryStore shared = DirectoryStore.openShared("stable", stable.resolve("checkpoints"));
    flusher = new LazyFlusher(staging, shared, BandwidthBudget.unlimited(), 200).start();
    driver = HostAgents.driver(connect, root.resolve("scratch"));
    driver.setRestoreEdit(restoreEdit);
    CheckpointAgent checkpoints = new CheckpointAgent(driver, new CheckpointEngine(staging, ChunkerChoice.standard()),
        shared, flusher, root.resolve("restore"));
    agent = new HostAgent(checkpoints, flusher, DirectoryMessageStore.open(stable.resolve("logs")),
        Clock.systemUTC(), 1)
        .collecting(staging, shared, HostAgent.SWEEP_EVERY, HostAgent.sweepOf(shared))
        .carrying(new HostTraffic(HostTraffic.bridge(bridge)));
  }

  /**
   * Skips the calling test, saying why, unless real guests with the messaging program and Linux bridges can run
   * here (root, libvirt, the lab guest); with {@code CI=true}, where they can, fails instead.
   */
  public static void requireOrSkip(String test) {
    String reason = LabGuest.messagingUnavailableReason().orElse(null);
    if (reason == null) reason = bridgeUnavailableReason();
    if (reason != null) {
      System.out.println(test + " skipped: " + reason);
      if ("true".equals(System.getenv("CI"))) fail("CI=true but no real guest on a bridge: " + reason);
    }
    Assume.assumeTrue("skipped: " + reason, reason == null);
  }

  private static String bridgeUnavailableReason() {
    String probe = "vqprobe" + ProcessHandle.current().pid() % 100_000;
    try {
      if (!"0".equals(run("id", "-u").trim())) return "not root (the test makes bridges)";
      run("ip", "link", "add", probe, "type", "bridge");
      run("ip", "link", "del", probe);
      return null;
    } catch (IOException e) {
      return "no Linux bridge here: " + e.getMessage();
    }
  }

  /** Destroys a guest of this host once libvirt's snapshot work on it has ended (libvirtd 9.0 exits otherwise). */
  public void destroy(String guest) throws IOException {
    driver.destroy(guest);
  }

  /** Stops the agent and its flusher, and deletes the bridge. */
  @Override public void close() throws IOException, InterruptedException {
    agent.close();
    flusher.close();
    try {
      run("ip", "link", "del", bridge);
    } catch (IOException gone) {
      // deleted already
    }
  }

  static String run(String... command) throws IOException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      String out = new String(p.getInputStream().readAllBytes());
      if (p.waitFor() != 0) throw new IOException(String.join(" ", command) + ": " + out.trim());
      return out;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }
}
