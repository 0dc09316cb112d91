package org.vmqsc.agent.kvm;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.Before;
import org.junit.BeforeClass;
import org.junit.Rule;
import org.junit.Test;
import org.libvirt.Connect;
import org.vmqsc.agent.driver.Capture;
import org.vmqsc.agent.driver.DiskSnapshot;

/**
 * Cuts that keep the disks as internal qcow2 snapshots of their own files (what the CloudStack plugin does with a
 * VM's volumes, whose paths CloudStack keeps), on the real lab guest with a 64 MiB qcow2 data disk (vdb): the file
 * never changes name, a restore reverts it to the checkpoint's state with the memory of the same instant, the
 * snapshots a discarded execution took go with the restore, and one behind the line is deleted while the guest
 * runs.
 */
public class InternalDiskSnapshotTest {

  private static final int K64 = 64 * 1024;

  private Connect connect;
  private KvmDriver driver;
  private LabGuest guest;
  private Path dir;
  private Path data;

  @BeforeClass public static void needsLibvirt() {
    RealGuestRequired.check("InternalDiskSnapshotTest");
  }

  @Rule public final LabGuestWithDisk lab = new LabGuestWithDisk("disk-internal", "vmqsc-internal-", KvmDriver.DiskCut.INTERNAL_SNAPSHOTS);

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

  /** A checkpoint as the plugin's agent takes one (pause, then checkpointPaused), its memory image kept. */
  private Capture checkpoint(String image) throws IOException {
    driver.pause(guest.name());
    return driver.checkpointPaused(guest.name(), () -> { },
        (in, c) -> Files.copy(in, dir.resolve(image), StandardCopyOption.REPLACE_EXISTING));
  }

  private String diskXml() throws Exception {
    return connect.domainLookupByName(guest.name()).getXMLDesc(0);
  }

  @Test public void theDiskFileStaysAndARestoreRevertsItWithTheMemoryOfTheSameInstant() throws Exception {
    write(0x11, 0);
    int before = guest.lastTick();
    Capture ck1 = checkpoint("ck1.save");
    int after = guest.lastTick();
    System.out.println("internal disk snapshots: " + ck1);
    assertEquals(Map.of(), ck1.frozenDisks());
    assertEquals(1, ck1.diskSnapshots().size());
    DiskSnapshot vdb = ck1.diskSnapshots().get(0);
    assertEquals("vdb", vdb.target());
    assertEquals(data, vdb.file());
    assertTrue("the guest still runs on its own file", diskXml().contains("file='" + data + "'"));
    assertFalse("no overlay beside it", diskXml().contains("<backingStore type='file'"));

    write(0x22, 0);          // after the checkpoint
    write(0x33, 1 << 20);
    Capture ck2 = checkpoint("ck2.save");  // a later checkpoint the restore below discards
    write(0x44, 2 << 20);
    assertEquals(List.of(vdb.name(), ck2.diskSnapshots().get(0).name()), InternalDiskSnapshots.namesIn(data));

    // The guest runs on past the cut first (a checkpoint may end before it prints another tick), so the restored
    // ticks go back.
    guest.awaitTickCount(guest.ticks().size() + 2, 30_000);
    int printed = guest.ticks().size();
    driver.restore(guest.name(), dir.resolve("ck1.save"), ck1.diskSnapshots());
    List<Integer> restored = guest.ticksAfterRestore(printed);
    assertTrue("memory continues at tick " + restored.get(0) + ", cut during " + before + ".." + after,
        restored.get(0) > before && restored.get(0) <= after + 1);
    assertEquals("the discarded execution's snapshot went with the restore", List.of(vdb.name()),
        InternalDiskSnapshots.namesIn(data));
    write(0x55, 3 << 20);    // the restored guest writes into the same file
    guest.close();
    assertTrue("the write before the checkpoint", LabDisk.holds(data, 0x11, 0, K64));
    assertTrue("no write after it", LabDisk.holds(data, 0x00, 1 << 20, K64) && LabDisk.holds(data, 0x00, 2 << 20, K64));
    assertTrue("the restored guest's own write", LabDisk.holds(data, 0x55, 3 << 20, K64));
  }

  @Test public void aSnapshotBehindTheLineIsDeletedWhileTheGuestRunsAndAGoneOneRefusesTheRestoreUntouched()
      throws Exception {
    Capture ck1 = checkpoint("ck1.save");
    write(0x66, 0);
    Capture ck2 = checkpoint("ck2.save");
    driver.forgetDiskSnapshots(guest.name(), ck1.diskSnapshots());
    assertEquals(List.of(ck2.diskSnapshots().get(0).name()), InternalDiskSnapshots.namesIn(data));
    int printed = guest.ticks().size();
    try {
      driver.restore(guest.name(), dir.resolve("ck1.save"), ck1.diskSnapshots());
      fail("a checkpoint whose disk state is gone was restored");
    } catch (IOException e) {
      assertTrue(e.getMessage(), e.getMessage().contains("no longer holds snapshot " + ck1.diskSnapshots().get(0).name()));
    }
    guest.awaitTickCount(printed + 3, 30_000);
    List<Integer> ticks = guest.ticks();
    assertEquals("the guest runs on, untouched", ticks.get(ticks.size() - 2) + 1, (int) ticks.get(ticks.size() - 1));
    assertTrue(LabDisk.holds(data, 0x66, 0, K64));
  }

  @Test public void aRawDiskIsRefusedBeforeTheGuestStops() throws Exception {
    guest.close();
    LabDisk.GuestWithDisk raw = LabDisk.startRaw(connect, new LabGuest.Spec("vmqsc-internal-raw-"
        + ProcessHandle.current().pid(), 128, 16, 256, 0.2), dir, 64);
    guest = raw.guest();
    lab.guest = guest;  // the one the fixture destroys after the test
    guest.awaitTickCount(3, 60_000);
    AtomicInteger images = new AtomicInteger();
    try {
      driver.checkpoint(guest.name(), (in, c) -> images.incrementAndGet());
      fail("a raw disk cannot hold its state");
    } catch (IOException e) {
      assertTrue(e.getMessage(), e.getMessage().contains("disk vdb of " + guest.name() + " is raw"));
    }
    assertEquals(0, images.get());
    int printed = guest.ticks().size();
    guest.awaitTickCount(printed + 2, 30_000);
  }

}
