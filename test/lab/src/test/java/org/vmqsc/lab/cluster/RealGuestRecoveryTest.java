package org.vmqsc.lab.cluster;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.Assume;
import org.junit.BeforeClass;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.vmqsc.agent.kvm.GuestVerdict;
import org.vmqsc.agent.kvm.LabGuest;

/**
 * The end-to-end tier with real guests (needs {@code .ci/setup-kvm.sh}; CI runs it there, elsewhere it says why it
 * skips): a manager and two agents as processes, four QEMU guests sending numbered UDP messages through the
 * relay, one agent SIGKILLed and its domains destroyed, its VMs restored on the other agent. The guests' own
 * records judge it: no orphan, no loss, no duplicate on any channel; disk and memory agree; they go on counting.
 */
public class RealGuestRecoveryTest {

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @BeforeClass public static void realGuestsCanRun() {
    String reason = LabGuest.messagingUnavailableReason().orElse(null);
    if (reason != null && "true".equals(System.getenv("CI"))) {
      fail("CI installs the KVM test tier (.ci/setup-kvm.sh), but: " + reason);
    }
    Assume.assumeTrue("skipped: " + reason, reason == null);
  }

  @Test public void theGuestsOfAKilledAgentAreRestoredAndTheirOwnRecordsShowNoOrphanNoLossNoDuplicate()
      throws Exception {
    Path dir = tmp.newFolder("real").toPath();
    // A 10 s lease: a busy CI machine can hold an agent's loop for seconds while it boots its guests (see RealGuestRun).
    RealGuestRun.Outcome o = new RealGuestRun(dir, line -> System.out.println("  " + line), 4000,
        Duration.ofSeconds(8), Duration.ofSeconds(20), 10_000).run();
    GuestVerdict.Result v = o.verdict();
    assertEquals("the guests' records", List.of(), v.faults());
    assertTrue("every channel carried messages: " + v, v.channels() == 12 && v.receipts() > 100);
    assertEquals("disk and memory", List.of(), o.diskFaults());
    assertTrue("the guests go on counting: " + o.sendsAtRecovery() + " then " + o.sendsAtEnd(), o.countingOn());
    assertTrue("a recovery rolled VMs back: " + o.recovery(), o.recovery().toString().contains("SUCCEEDED"));
  }
}
