package org.vmqsc.plugin.xen;

import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.vmqsc.plugin.host.HostAgent;
import org.vmqsc.plugin.host.HostStorage;

/**
 * One management server holds Xen hosts of several clusters: each host's agent opens its stores with the settings
 * the deployments to that host carried, not those of whichever host was deployed to last.
 */
public class XenHostAgentsTest {

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @After public void forget() {
    XenHostAgents.install(null);
  }

  @Test public void eachXenHostStagesWhereItsOwnClustersSettingsSay() throws Exception {
    XenHostAgents.install(null);
    Path stagingA = tmp.newFolder("cluster-a").toPath(), stagingB = tmp.newFolder("cluster-b").toPath();
    Path stable = tmp.newFolder("stable").toPath();
    XenHostAgents.configure("xen-host-a", new HostStorage(stagingA, stable, 1_000_000));
    XenHostAgents.configure("xen-host-b", new HostStorage(stagingB, stable, 1_000_000));

    // The pool is never called: opening an agent opens its stores only.
    try (HostAgent a = XenHostAgents.forHost("xen-host-a", () -> {
      throw new AssertionError("no XAPI call expected");
    })) {
      assertTrue(Files.isDirectory(stagingA.resolve("xen-host-a").resolve("checkpoints")));
      assertFalse(Files.exists(stagingB.resolve("xen-host-a")));
    }
    try (HostAgent b = XenHostAgents.forHost("xen-host-b", () -> {
      throw new AssertionError("no XAPI call expected");
    })) {
      assertTrue(Files.isDirectory(stagingB.resolve("xen-host-b").resolve("checkpoints")));
      assertFalse(Files.exists(stagingA.resolve("xen-host-b")));
    }
  }
}
