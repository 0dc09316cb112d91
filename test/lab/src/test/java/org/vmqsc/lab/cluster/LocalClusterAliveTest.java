package org.vmqsc.lab.cluster;

import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.Test;
import org.vmqsc.lab.cluster.LocalCluster.Node;

/**
 * A cluster folder names its processes by pid and start time: a pid some other program has taken since (a reboot,
 * a long time) is not the cluster's, so it neither counts as a running cluster nor gets killed by {@code down}.
 */
public class LocalClusterAliveTest {

  @Test(timeout = 30_000)
  public void aPidIsTheClustersOnlyWhileItIsTheProcessThatWasStarted() throws Exception {
    Process p = new ProcessBuilder("sleep", "30").start();
    try {
      long started = p.info().startInstant().orElseThrow().toEpochMilli();
      assertTrue(LocalCluster.alive(new Node("h1", p.pid(), "", "", started)));
      assertFalse("the same pid, started an hour later than recorded: someone else's",
          LocalCluster.alive(new Node("h1", p.pid(), "", "", started - 3_600_000)));
      assertTrue("a folder that recorded no start time trusts the pid",
          LocalCluster.alive(new Node("h1", p.pid(), "", "", 0)));
      p.destroy();
      p.waitFor(10, TimeUnit.SECONDS);
      assertFalse("a process that ended", LocalCluster.alive(new Node("h1", p.pid(), "", "", started)));
      assertFalse(LocalCluster.alive(new Node("h1", -1, "", "", 0)));
      assertFalse(LocalCluster.alive((Node) null));
    } finally {
      p.destroyForcibly();
    }
  }
}
