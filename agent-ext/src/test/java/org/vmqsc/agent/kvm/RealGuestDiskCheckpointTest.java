package org.vmqsc.agent.kvm;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.Assume;
import org.junit.Before;
import org.junit.BeforeClass;
import org.junit.Rule;
import org.junit.Test;
import org.libvirt.Connect;
import org.vmqsc.agent.driver.Capture;

/**
 * Checkpoints of memory and disks cut at the caller's instant, on the real lab guest with a 64 MiB qcow2 data disk
 * (vdb). Known patterns are written into the disk through QEMU before and after each checkpoint; after a restore
 * the disk is read on the host and the guest's tick counter tells where its memory continues.
 */
public class RealGuestDiskCheckpointTest {

  private static final int K64 = 64 * 1024;

  private Connect connect;
  private KvmDriver driver;
  private LabGuest guest;
  private Path dir;
  private Path data;

  @BeforeClass public static void needsLibvirt() {
    RealGuestRequired.check("RealGuestDiskCheckpointTest");
  }

  @Rule public final LabGuestWithDisk lab = new LabGuestWithDisk("disk-it", "vmqsc-disk-", KvmDriver.DiskCut.OVERLAYS);

  @Before public void fixture() {
    connect = lab.connect;
    driver = lab.driver;
    guest = lab.guest;
    dir = lab.dir;
    data = lab.data;
  }

  private void write(int pattern, long offset) throws IOException {
    lab.write(pattern, offset);
  }

  /** pause + checkpointPaused, the memory image kept as {@code name} in the test directory. */
  private Capture checkpoint(String name, AtomicInteger runningCalls) throws IOException {
    driver.pause(guest.name());
    return driver.checkpointPaused(guest.name(), runningCalls::incrementAndGet,
        (in, c) -> Files.copy(in, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING));
  }


  @Test public void memoryAndDiskComeFromTheInstantOfThePause() throws Exception {
    write(0x11, 0);
    int before = guest.lastTick();
    AtomicInteger running = new AtomicInteger();
    driver.pause(guest.name());
    Thread.sleep(300);  // a pause longer than a tick: no tick may appear while it lasts
    int atPause = guest.lastTick();
    Capture capture = driver.checkpointPaused(guest.name(), running::incrementAndGet,
        (in, c) -> Files.copy(in, dir.resolve("ck1.save")));
    System.out.println("real guest with a disk: " + capture);
    assertEquals("running is announced once", 1, running.get());
    assertEquals(Map.of("vdb", data), capture.frozenDisks());
    assertTrue("pause " + capture.guestPause(), capture.guestPause().toMillis() >= 300);
    write(0x22, 0);         // after the checkpoint: must not be in it
    write(0x33, 1 << 20);
    guest.awaitTickCount(guest.ticks().size() + 4, 30_000);
    assertTrue("the frozen file keeps the disk as of the pause", LabDisk.holds(data, 0x11, 0, K64));

    int latest = guest.lastTick();
    int printed = guest.ticks().size();
    Map<String, Path> overlays = driver.restore(guest.name(), dir.resolve("ck1.save"), capture.frozenDisks());
    List<Integer> restored = guest.ticksAfterRestore(printed);
    System.out.println("real guest with a disk: ticks " + before + ".." + atPause + " at the pause, " + latest
        + " before the restore, restored guest printed " + restored);
    assertTrue("restored memory continues at tick " + restored.get(0) + ", paused at " + atPause,
        restored.get(0) > before && restored.get(0) <= atPause + 1);
    Path overlay = overlays.get("vdb");
    assertNotEquals(data, overlay);
    write(0x44, 2 << 20);   // the restored guest writes into its new overlay, never into the frozen file
    guest.close();
    assertTrue("restored disk holds the write before the checkpoint", LabDisk.holds(overlay, 0x11, 0, K64));
    assertTrue("restored disk lacks the writes after it", LabDisk.holds(overlay, 0x00, 1 << 20, K64));
    assertTrue(LabDisk.holds(overlay, 0x44, 2 << 20, K64));
    assertTrue("the frozen file was not written", LabDisk.holds(data, 0x00, 2 << 20, K64));
  }

  @Test public void afterCollectionAKeptCheckpointRestoresAndACollectedOneIsRefusedCleanly() throws Exception {
    AtomicInteger running = new AtomicInteger();
    write(0x01, 0);
    // checkpoint() on a guest with disks is pause + checkpointPaused as well
    Capture ck1 = driver.checkpoint(guest.name(), (in, c) -> Files.copy(in, dir.resolve("ck1.save")));
    write(0x02, 0);
    Capture ck2 = checkpoint("ck2.save", running);
    write(0x03, 0);
    Capture ck3 = checkpoint("ck3.save", running);
    write(0x04, 0);
    assertEquals(2, running.get());
    Path f1 = ck1.frozenDisks().get("vdb");
    Path f2 = ck2.frozenDisks().get("vdb");
    Path f3 = ck3.frozenDisks().get("vdb");
    assertEquals(data, f1);

    // The chain on "stable storage": each frozen file copied as it is taken, oldest first.
    Path stable = dir.resolve("stable");
    for (Path frozen : List.of(f1, f2, f3)) {
      DiskChains.copyFrozen(frozen, stable);
    }

    // Only ck3 is still needed: ck2's layer is merged into the bottom file and deleted, on the live chain.
    Map<String, List<Path>> removed = driver.collectDisks(guest.name(), List.of(f3));
    System.out.println("real guest with a disk: collected " + removed);
    assertEquals(Map.of("vdb", List.of(f2)), removed);
    assertFalse(Files.exists(f2));
    guest.awaitTickCount(guest.ticks().size() + 2, 30_000);

    // ck2's chain is gone: refused before anything is touched, the running guest goes on.
    int printed = guest.ticks().size();
    int id = connect.domainLookupByName(guest.name()).getID();
    try {
      driver.restore(guest.name(), dir.resolve("ck2.save"), ck2.frozenDisks());
      fail("restored a checkpoint whose disk chain was collected");
    } catch (IOException e) {
      System.out.println("real guest with a disk: " + e.getMessage());
      assertTrue(e.getMessage(), e.getMessage().contains(f2.toString()));
    }
    assertEquals("the running guest was left alone", id, connect.domainLookupByName(guest.name()).getID());
    guest.awaitTickCount(printed + 2, 30_000);
    List<Integer> ticks = guest.ticks();
    assertEquals(ticks.get(ticks.size() - 2) + 1, (int) ticks.get(ticks.size() - 1));

    // ck3 restores from the collected host chain...
    printed = guest.ticks().size();
    Map<String, Path> overlays = driver.restore(guest.name(), dir.resolve("ck3.save"), ck3.frozenDisks());
    guest.ticksAfterRestore(printed);
    guest.close();
    assertTrue("ck3's disk after collection", LabDisk.holds(overlays.get("vdb"), 0x03, 0, K64));

    // ...and from the stable copies, collected offline the same way.
    Path stableF3 = stable.resolve(f3.getFileName());
    assertEquals(List.of(stable.resolve(f2.getFileName())), DiskChains.collect(stableF3, List.of(stableF3)));
    printed = guest.ticks().size();  // no guest runs now: the restore starts one, appending to the same log
    overlays = driver.restore(guest.name(), dir.resolve("ck3.save"), Map.of("vdb", stableF3));
    guest.ticksAfterRestore(printed);
    guest.close();
    assertTrue("ck3's disk from the stable copies", LabDisk.holds(overlays.get("vdb"), 0x03, 0, K64));
    assertTrue(overlays.get("vdb").startsWith(stable));
  }

  @Test public void aDiskSnapshotQemuRefusesLeavesNoOverlayAndTheGuestRuns() throws Exception {
    driver.pause(guest.name());
    Path overlay;
    try (var files = Files.list(dir)) {
      overlay = files.filter(f -> f.getFileName().toString().startsWith("data.ck-")).findFirst().orElseThrow();
    }
    Files.write(overlay, new byte[] {'n', 'o', 't', ' ', 'q', 'c', 'o', 'w'});  // prepared, then spoilt
    int printed = guest.ticks().size();
    AtomicInteger running = new AtomicInteger();
    try {
      driver.checkpointPaused(guest.name(), running::incrementAndGet, (in, c) -> fail("no image expected"));
      fail("a disk snapshot onto a broken overlay produced a checkpoint");
    } catch (IOException e) {
      System.out.println("real guest with a disk: " + e.getMessage());
      assertTrue(e.getMessage(), e.getMessage().contains("disk snapshot of " + guest.name() + " failed"));
    }
    assertEquals(1, running.get());
    assertFalse("the overlay is removed", Files.exists(overlay));
    guest.awaitTickCount(printed + 3, 30_000);
    List<Integer> ticks = guest.ticks();
    assertEquals("the guest runs on", ticks.get(ticks.size() - 2) + 1, (int) ticks.get(ticks.size() - 1));
    write(0x5a, 0);  // and still writes into its own disk file
    Capture next = checkpoint("ck.save", running);
    assertEquals(Map.of("vdb", data), next.frozenDisks());
    assertTrue(LabDisk.holds(data, 0x5a, 0, K64));
  }

  @Test public void withPreCopyTheGuestStaysPausedThroughTheSnapshotAndIsResumedAfter() throws Exception {
    Path sysctl = Path.of("/proc/sys/vm/unprivileged_userfaultfd");
    Assume.assumeTrue("skipped: cannot change vm.unprivileged_userfaultfd here",
        Files.isWritable(sysctl) && Files.readString(sysctl).trim().equals("1"));
    write(0x61, 0);
    int before = guest.lastTick();
    AtomicInteger running = new AtomicInteger();
    Capture capture;
    Files.writeString(sysctl, "0");
    try {
      driver.pause(guest.name());
      capture = driver.checkpointPaused(guest.name(), running::incrementAndGet,
          (in, c) -> Files.copy(in, dir.resolve("ck.save")));
    } finally {
      Files.writeString(sysctl, "1");
    }
    int atRunning = guest.lastTick();
    System.out.println("real guest with a disk, pre-copy: " + capture);
    assertEquals(org.vmqsc.agent.driver.CaptureMode.PRE_COPY, capture.mode());
    assertTrue(capture.fallbackReason(), capture.fallbackReason().contains("Background-snapshot"));
    assertEquals(1, running.get());
    write(0x62, 0);
    guest.awaitTickCount(guest.ticks().size() + 3, 30_000);  // it runs again
    int printed = guest.ticks().size();
    Map<String, Path> overlays = driver.restore(guest.name(), dir.resolve("ck.save"), capture.frozenDisks());
    List<Integer> restored = guest.ticksAfterRestore(printed);
    assertTrue("restored memory continues at tick " + restored.get(0) + ", paused during " + before + ".."
        + atRunning, restored.get(0) > before && restored.get(0) <= atRunning + 1);
    guest.close();
    assertTrue(LabDisk.holds(overlays.get("vdb"), 0x61, 0, K64));
  }
}
