package org.vmqsc.plugin.host;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import java.nio.file.Path;
import org.junit.After;
import org.junit.Test;
import org.vmqsc.plugin.command.DeployGroupCommand;

/** A host's storage: the cluster's settings from the deployment, the agent JVM's system properties over them. */
public class HostStorageTest {

  @After public void clearProperties() {
    System.clearProperty("vmqsc.staging.directory");
    System.clearProperty("vmqsc.stable.storage");
    System.clearProperty("vmqsc.flush.bandwidth");
  }

  @Test public void aDeploymentCarriesTheClustersSettingsAndSystemPropertiesOverrideThem() {
    DeployGroupCommand command = new DeployGroupCommand("g", "h", "{}").withStorage("/srv/staging", "/mnt/shared",
        1L << 20);
    HostStorage fromCluster = HostStorage.of(command, HostStorage.DEFAULTS);
    assertEquals(new HostStorage(Path.of("/srv/staging"), Path.of("/mnt/shared"), 1L << 20), fromCluster);
    System.setProperty("vmqsc.stable.storage", "/mnt/local-override");
    assertEquals(new HostStorage(Path.of("/srv/staging"), Path.of("/mnt/local-override"), 1L << 20),
        fromCluster.withSystemProperties());
  }

  @Test public void aDeploymentWithoutSettingsKeepsTheDefaultsAndABadBandwidthIsRefused() {
    assertEquals(HostStorage.DEFAULTS, HostStorage.of(new DeployGroupCommand("g", "h", "{}"), HostStorage.DEFAULTS));
    assertThrows(IllegalArgumentException.class, () -> HostStorage.of(new DeployGroupCommand("g", "h", "{}")
        .withStorage(null, null, 0L), HostStorage.DEFAULTS));
  }
}
