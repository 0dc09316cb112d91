package org.vmqsc.agent.kvm;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.After;
import org.junit.Assume;
import org.junit.Before;
import org.junit.BeforeClass;
import org.junit.Test;
import org.libvirt.Connect;
import org.vmqsc.agent.driver.Capture;
import org.vmqsc.agent.driver.CaptureMode;

/**
 * A guest as CloudStack starts one: no monitor of the agent's own, so QEMU's memory stream leaves through a kernel
 * pipe whose write end libvirt hands it. The engine's side gets the stream while QEMU still writes it, no image
 * waits in a file, and the image restores to the instant of the cut.
 */
public class RealGuestWithoutOwnMonitorTest {

  private Connect connect;
  private KvmDriver driver;
  private LabGuest guest;
  private Path dir;
  private Path scratch;

  @BeforeClass public static void needsLibvirt() {
    RealGuestRequired.check("RealGuestWithoutOwnMonitorTest");
  }

  @Before public void startGuest() throws Exception {
    Path sysctl = Path.of("/proc/sys/vm/unprivileged_userfaultfd");
    Assume.assumeTrue("skipped: QEMU cannot take background snapshots here (vm.unprivileged_userfaultfd)",
        Files.exists(sysctl) && Files.readString(sysctl).trim().equals("1"));
    connect = LabGuest.connect();
    Path root = Files.createDirectories(Path.of("target", "kvm-test")).toAbsolutePath();
    dir = Files.createTempDirectory(root, "pipe");
    scratch = dir.resolve("scratch");
    driver = new KvmDriver(connect, scratch);
    guest = LabGuest.start(connect, new LabGuest.Spec("vmqsc-pipe-" + ProcessHandle.current().pid(), 128, 48, 1024,
        0.2), xml -> LabGuest.withOwnMonitor(xml, null));
    guest.awaitTickCount(3, 60_000);
  }

  @After public void stopGuest() throws Exception {
    if (guest != null) guest.close();
    if (connect != null) connect.close();
    if (dir != null) {
      try (var files = Files.walk(dir)) {
        for (Path p : (Iterable<Path>) files.sorted(java.util.Comparator.reverseOrder())::iterator) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  @Test public void theStreamGoesThroughAPipeIntoTheConsumerAndTheImageRestoresToTheCut() throws Exception {
    AtomicInteger running = new AtomicInteger();
    String[] consumerThread = new String[1];
    long[] filesInScratch = new long[1];
    int before = guest.lastTick();
    driver.pause(guest.name());
    Capture capture = driver.checkpointPaused(guest.name(), running::incrementAndGet, (in, c) -> {
      consumerThread[0] = Thread.currentThread().getName();
      assertEquals("running is announced before the image is consumed", 1, running.get());
      try (var files = Files.list(scratch)) {
        filesInScratch[0] = files.count();
      }
      Files.copy(in, dir.resolve("ck1.save"));
    });
    int after = guest.lastTick();
    assertEquals(capture.fallbackReason(), CaptureMode.BACKGROUND_SNAPSHOT, capture.mode());
    assertEquals(1, running.get());
    assertTrue("the consumer ran while the snapshot did: " + consumerThread[0],
        consumerThread[0].startsWith("image-store-"));
    assertEquals("no image in a file", 0, filesInScratch[0]);
    assertTrue("a paused guest: " + capture.guestPause(), capture.guestPause().toMillis() < 5_000);
    assertTrue(Files.size(dir.resolve("ck1.save")) > 40L << 20);  // at least the 48 MiB of random data

    guest.awaitTickCount(guest.ticks().size() + 3, 30_000);  // it runs on past the cut
    int printed = guest.ticks().size();
    driver.restore(guest.name(), dir.resolve("ck1.save"));
    List<Integer> restored = guest.ticksAfterRestore(printed);
    assertTrue("memory continues at tick " + restored.get(0) + ", cut during " + before + ".." + after,
        restored.get(0) >= before && restored.get(0) <= after + 1);
  }
}
