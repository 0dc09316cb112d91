package org.vmqsc.agent.kvm;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.Before;
import org.junit.BeforeClass;
import org.junit.Rule;
import org.junit.Test;
import org.vmqsc.agent.driver.Capture;
import org.vmqsc.agent.driver.CaptureMode;

/**
 * Cuts whose disk state QEMU's incremental backup copies into layers while the guest runs (the lab guests' way), on
 * the real lab guest with a 64 MiB qcow2 data disk: the guest keeps its own disk file, each layer with those below
 * it reads as the disk did at its cut (also where the guest overwrote a cluster right after), and the memory image
 * the driver wrote itself restores through libvirt.
 */
public class RealGuestBackupLayersTest {

  private static final int K64 = LabGuestWithDisk.K64;

  @Rule public final LabGuestWithDisk lab =
      new LabGuestWithDisk("backup-it", "vmqsc-layers-", KvmDriver.DiskCut.BACKUP_LAYERS);

  private KvmDriver driver;
  private LabGuest guest;
  private Path dir;
  private Path data;

  @BeforeClass public static void needsLibvirt() {
    RealGuestRequired.check("RealGuestBackupLayersTest");
  }

  @Before public void fixture() {
    driver = lab.driver;
    guest = lab.guest;
    dir = lab.dir;
    data = lab.data;
  }

  private void write(int pattern, long offset) throws Exception {
    lab.write(pattern, offset);
  }

  private Capture cut(String image, AtomicInteger running) throws Exception {
    driver.pause(guest.name());
    return driver.checkpointPaused(guest.name(), running::incrementAndGet,
        (in, c) -> Files.copy(in, dir.resolve(image)));
  }

  @Test public void eachLayerReadsAsTheDiskDidAtItsCutAndRestoresWithItsMemory() throws Exception {
    AtomicInteger running = new AtomicInteger();
    write(0x11, 0);
    Capture ck1 = cut("ck1.save", running);
    write(0x22, 0);           // overwrites a cluster ck1 holds, right after its cut
    write(0x33, 3 << 20);
    int beforeCk2 = guest.lastTick();
    Capture ck2 = cut("ck2.save", running);
    write(0x44, 3 << 20);     // after ck2: in neither
    write(0x55, 5 << 20);

    assertEquals("running is announced once per cut", 2, running.get());
    assertEquals(CaptureMode.BACKGROUND_SNAPSHOT, ck2.mode());
    Path layer1 = ck1.frozenDisks().get("vdb");
    Path layer2 = ck2.frozenDisks().get("vdb");
    assertNotEquals("the guest keeps its own disk file", data, layer1);
    assertNull("the first layer of a QEMU process is a full copy", DiskChains.layer(layer1).backing());
    assertEquals("the next one copies what changed, on the first", layer1, DiskChains.layer(layer2).backing());
    assertTrue("only the changed clusters are copied",
        Files.size(layer2) < Files.size(layer1) + (1 << 20));
    assertTrue(LabDisk.holds(layer1, 0x11, 0, K64));
    assertTrue("copied out before the guest overwrote it", LabDisk.holds(layer2, 0x22, 0, K64));
    assertTrue(LabDisk.holds(layer2, 0x33, 3 << 20, K64));
    assertTrue("a write after the cut is not in it", LabDisk.holds(layer2, 0x00, 5 << 20, K64));
    assertTrue("the guest's own file has everything", LabDisk.holds(data, 0x44, 3 << 20, K64));

    // ck2's memory (an image the driver wrote: libvirt's header, then QEMU's stream) with ck2's disk. The guest runs
    // on past the cut first (a busy machine may not let it print a tick meanwhile), so the restored ticks go back.
    guest.awaitTickCount(guest.ticks().size() + 3, 30_000);
    int printed = guest.ticks().size();
    Map<String, Path> overlays = driver.restore(guest.name(), dir.resolve("ck2.save"), ck2.frozenDisks());
    List<Integer> restored = guest.ticksAfterRestore(printed);
    assertTrue("restored memory continues from the cut: " + restored + " after " + beforeCk2,
        restored.get(0) > beforeCk2 - 1 && restored.get(0) <= beforeCk2 + 2);
    write(0x66, 7 << 20);     // the restored guest writes into its new overlay
    Capture ck3 = cut("ck3.save", running);
    guest.close();
    Path overlay = overlays.get("vdb");
    assertTrue(LabDisk.holds(overlay, 0x22, 0, K64));
    assertTrue(LabDisk.holds(overlay, 0x33, 3 << 20, K64));
    assertTrue(LabDisk.holds(overlay, 0x00, 5 << 20, K64));
    assertTrue("the layers below were not written", LabDisk.holds(layer2, 0x00, 7 << 20, K64));
    assertNull("a restored guest is a new QEMU process: its first layer is full again",
        DiskChains.layer(ck3.frozenDisks().get("vdb")).backing());
    assertTrue(LabDisk.holds(ck3.frozenDisks().get("vdb"), 0x66, 7 << 20, K64));
  }

  /**
   * On the guest's own monitor the layers' transaction goes to QEMU in one write with the migration's start. When
   * QEMU refuses the transaction (here the dirty bitmap of the incremental layer is gone), the cut fails whole: no
   * memory image, the guest runs, and the next cut starts again from a full layer.
   */
  @Test public void aTransactionRefusedWithTheMigrationsStartGivesNoCheckpointAndTheNextCutIsFull() throws Exception {
    AtomicInteger running = new AtomicInteger();
    write(0x11, 0);
    cut("ck1.save", running);
    driver.pause(guest.name());
    org.libvirt.Domain domain = lab.connect.domainLookupByName(guest.name());
    com.google.gson.JsonObject bitmap = new com.google.gson.JsonObject();
    bitmap.addProperty("node", Qmp.nodeOf(domain, data));
    bitmap.addProperty("name", BackupLayers.BITMAP);
    Qmp.execute(domain, "block-dirty-bitmap-remove", bitmap);
    java.io.IOException refused = org.junit.Assert.assertThrows(java.io.IOException.class,
        () -> driver.checkpointPaused(guest.name(), running::incrementAndGet,
            (in, c) -> Files.copy(in, dir.resolve("ck2.save"))));
    assertTrue(refused.getMessage(), refused.getMessage().contains("disks of the cut were refused"));
    assertTrue("no memory image of the failed cut", Files.notExists(dir.resolve("ck2.save")));
    int ticks = guest.ticks().size();
    guest.awaitTickCount(ticks + 1, 60_000);  // it runs again

    write(0x22, 0);
    Capture ck3 = cut("ck3.save", running);
    Path layer = ck3.frozenDisks().get("vdb");
    assertNull("a full layer again", DiskChains.layer(layer).backing());
    assertTrue(LabDisk.holds(layer, 0x22, 0, K64));
    assertEquals(CaptureMode.BACKGROUND_SNAPSHOT, ck3.mode());
  }
}
