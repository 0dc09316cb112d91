package org.vmqsc.lab.cluster;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
    // A 10 s lease: on a busy CI machine the agents compete with the guests for the cores (see RealGuestRun).
    RealGuestRun.Outcome o = new RealGuestRun(dir, line -> System.out.println("  " + line), 4000,
        Duration.ofSeconds(8), Duration.ofSeconds(20), 10_000).run();
    GuestVerdict.Result v = o.verdict();
    try {
      assertEquals("the guests' records", List.of(), v.faults());
      assertTrue("every channel carried messages: " + v, v.channels() == 12 && v.receipts() > 100);
      assertEquals("disk and memory", List.of(), o.diskFaults());
      assertTrue("the guests go on counting: " + o.sendsAtRecovery() + " then " + o.sendsAtEnd(), o.countingOn());
      assertTrue("a recovery rolled VMs back: " + o.recovery(), o.recovery().toString().contains("SUCCEEDED"));
      assertTrue("stable storage merged the disk layers behind the line: " + o.stableDiskLayers() + " left of "
          + o.diskSnapshots() + " snapshots", o.stableDiskLayers() > 0 && o.stableDiskLayers() < o.diskSnapshots());
    } catch (AssertionError failed) {
      Path kept = keep(o.events(), o.serialLogs(), failed.getMessage());
      throw new AssertionError(failed.getMessage() + " (the run's events: " + kept + ")", failed);
    }
  }

  /** Kinds of events there are many of in a run: printed only for the channels a fault names. */
  private static final Set<String> FREQUENT =
      Set.of("stable", "line", "guest_snapshot", "checkpoint", "log_segment", "send", "deliver", "replay", "frame_sent",
          "frame_delivered", "frame_replayed");

  /**
   * A failed verdict is rare and hard to reproduce, and the run's folder is temporary: its merged events and the
   * guests' serial consoles (every incarnation's, appended) are copied under target/ and printed — every rare kind
   * of event, the frequent ones of the channels the failure names ("VM 3 -> VM 0"), and the consoles' lines of those
   * channels — so the build's output alone can explain it: whether a lost message ever reached its receiver before
   * the rollback, or never did.
   */
  private static Path keep(Path events, java.util.Map<Integer, Path> serialLogs, String failure)
      throws java.io.IOException {
    Path kept = Path.of("target", "failed-real-guest-runs", System.currentTimeMillis() + "-events.jsonl");
    Files.createDirectories(kept.getParent());
    Files.copy(events, kept);
    Set<String> channels = new HashSet<>();
    Set<String> consoleLines = new HashSet<>();
    Matcher m = Pattern.compile("VM (\\d+) -> VM (\\d+)").matcher(failure);
    while (m.find()) {
      channels.add("\"from\":" + m.group(1) + ",\"to\":" + m.group(2) + ",");
      consoleLines.add("QSC-SEND " + m.group(1) + " " + m.group(2) + " ");
      consoleLines.add("QSC-RECV " + m.group(1) + " " + m.group(2) + " ");
    }
    for (java.util.Map.Entry<Integer, Path> serial : serialLogs.entrySet()) {
      if (!Files.exists(serial.getValue())) continue;
      Path copy = kept.resolveSibling(kept.getFileName().toString().replace("-events.jsonl", "-vm" + serial.getKey()
          + ".serial"));
      Files.copy(serial.getValue(), copy);
      System.out.println("  VM " + serial.getKey() + "'s console, the lines of those channels and of its starts ("
          + copy.toAbsolutePath() + "):");
      try (java.util.stream.Stream<String> lines = Files.lines(serial.getValue(),
          java.nio.charset.StandardCharsets.ISO_8859_1)) {
        lines.filter(l -> l.startsWith("QSC-START") || l.startsWith("QSC-IGNORED") || l.startsWith("GUEST-NET")
            || l.startsWith("GUEST-ERROR") || consoleLines.stream().anyMatch(l::startsWith))
            .limit(300).forEach(l -> System.out.println("    " + l));
      }
    }
    System.out.println("  the run's events, but the frequent kinds of other channels (all in " + kept + "):");
    Pattern kind = Pattern.compile("\"event\":\"([a-z_]+)\"");
    try (java.util.stream.Stream<String> lines = Files.lines(events)) {
      lines.filter(l -> {
        Matcher k = kind.matcher(l);
        return !k.find() || !FREQUENT.contains(k.group(1)) || channels.stream().anyMatch(l::contains);
      }).limit(2000).forEach(l -> System.out.println("    " + l));
    }
    return kept.toAbsolutePath();
  }
}
