package org.vmqsc.plugin.host;

import java.nio.file.Path;
import org.vmqsc.plugin.command.DeployGroupCommand;

/**
 * Where a host's agent keeps checkpoints and how fast it copies them: its staging folder, the stable storage mount
 * every host of the cluster shares, the flush bandwidth (bytes per second). The management server's settings for
 * the host's cluster come with each deployment; a system property of the agent's JVM ({@code vmqsc.staging.directory},
 * {@code vmqsc.stable.storage}, {@code vmqsc.flush.bandwidth}) overrides one for that host.
 */
public record HostStorage(Path staging, Path stable, long flushBytesPerSecond) {

  /** The settings' defaults. */
  public static final HostStorage DEFAULTS =
      new HostStorage(Path.of("/var/lib/cloudstack/vmqsc/staging"), Path.of("/mnt/vmqsc"), 100L << 20);

  public HostStorage {
    if (staging == null || stable == null) throw new IllegalArgumentException("a host needs a staging and a stable folder");
    if (flushBytesPerSecond <= 0) {
      throw new IllegalArgumentException("the flush bandwidth must be positive, not " + flushBytesPerSecond);
    }
  }

  /** The cluster's settings a deployment carries, over {@code fallback} where it carries none. */
  public static HostStorage of(DeployGroupCommand command, HostStorage fallback) {
    return new HostStorage(
        command.getStagingDirectory() == null ? fallback.staging() : Path.of(command.getStagingDirectory()),
        command.getStableStorage() == null ? fallback.stable() : Path.of(command.getStableStorage()),
        command.getFlushBandwidth() == null ? fallback.flushBytesPerSecond() : command.getFlushBandwidth());
  }

  /** These settings with the agent JVM's own system properties over them. */
  public HostStorage withSystemProperties() {
    String staging = System.getProperty("vmqsc.staging.directory");
    String stable = System.getProperty("vmqsc.stable.storage");
    String flush = System.getProperty("vmqsc.flush.bandwidth");
    return new HostStorage(staging == null ? this.staging : Path.of(staging),
        stable == null ? this.stable : Path.of(stable),
        flush == null ? flushBytesPerSecond : Long.parseLong(flush.trim()));
  }
}
