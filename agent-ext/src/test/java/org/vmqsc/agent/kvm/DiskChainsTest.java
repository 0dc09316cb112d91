package org.vmqsc.agent.kvm;

import static org.hamcrest.CoreMatchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThat;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.Before;
import org.junit.BeforeClass;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** Chains of real qcow2 files without a guest (needs {@code qemu-img} and {@code qemu-io}). */
public class DiskChainsTest {

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static final int K64 = 64 * 1024;

  private Path host;
  private Path base;
  private Path first;
  private Path second;
  private Path active;

  @BeforeClass public static void needsQemuImg() {
    QemuImgRequired.check("DiskChainsTest");
  }

  private static void write(Path file, int pattern) throws IOException {
    DiskChains.run(List.of("qemu-io", "-c", String.format("write -P 0x%02x 0 %d", pattern, K64), file.toString()));
  }

  /** base ← first ← second ← active, as three checkpoints leave it; offset 0 holds 1, 2, 3, 4 in turn. */
  @Before public void threeCheckpoints() throws Exception {
    host = tmp.newFolder("host").toPath();
    base = host.resolve("data.qcow2");
    DiskChains.run(List.of("qemu-img", "create", "-q", "-f", "qcow2", base.toString(), "4M"));
    write(base, 1);
    first = DiskChains.overlayNextTo(base, "ck");
    DiskChains.createOverlay(first, base, "qcow2", 4 << 20);
    write(first, 2);
    second = DiskChains.overlayNextTo(first, "ck");
    DiskChains.createOverlay(second, first, "qcow2", 4 << 20);
    write(second, 3);
    active = DiskChains.overlayNextTo(second, "ck");
    DiskChains.createOverlay(active, second, "qcow2", 4 << 20);
    write(active, 4);
  }

  @Test public void overlaysNameTheirBackingFileRelativeAndTheChainReadsTopFirst() throws Exception {
    assertTrue(first.getFileName().toString().matches("data\\.ck-[0-9a-f]{8}\\.qcow2"));
    List<DiskChains.Layer> chain = DiskChains.chain(active);
    assertEquals(List.of(active, second, first, base), chain.stream().map(DiskChains.Layer::file).toList());
    String header = DiskChains.run(List.of("qemu-img", "info", "-U", "--output=json", second.toString()));
    assertThat(header, containsString("\"backing-filename\": \"" + first.getFileName() + "\""));
  }

  @Test public void copiesWorkElsewhereAndCollectionKeepsTheKeptChainIntact() throws Exception {
    Path stable = tmp.newFolder("stable").toPath();
    for (Path frozen : List.of(base, first, second)) {
      DiskChains.copyFrozen(frozen, stable);
    }
    Path copy = stable.resolve(second.getFileName());
    assertEquals(stable.resolve(base.getFileName()), DiskChains.chain(copy).get(2).file());
    assertTrue(LabDisk.holds(copy, 3, 0, K64));

    assertEquals(List.of(stable.resolve(first.getFileName())), DiskChains.collect(copy, List.of(copy)));
    assertFalse(Files.exists(stable.resolve(first.getFileName())));
    assertEquals(2, DiskChains.chain(copy).size());
    assertTrue("the kept checkpoint reads as before", LabDisk.holds(copy, 3, 0, K64));
    assertEquals("nothing more to collect", List.of(), DiskChains.collect(copy, List.of(copy)));
    assertTrue("the originals are untouched", LabDisk.holds(second, 3, 0, K64) && LabDisk.holds(first, 2, 0, K64));
  }

  /**
   * A checkpoint whose memory snapshot failed after its disk cut leaves the guest on a layer no checkpoint copied
   * ({@code first} here): the next checkpoint's copy brings it along, and that checkpoint's stable chain is whole.
   */
  @Test public void aLayerNoCheckpointCopiedIsCopiedWithTheNextOne() throws Exception {
    Path stable = tmp.newFolder("stable-gap").toPath();
    DiskChains.copyFrozen(base, stable);
    Path copy = DiskChains.copyFrozen(second, stable);
    assertEquals(stable.resolve(second.getFileName()), copy);
    assertEquals(List.of(copy, stable.resolve(first.getFileName()), stable.resolve(base.getFileName())),
        DiskChains.chain(copy).stream().map(DiskChains.Layer::file).toList());
    assertTrue(LabDisk.holds(copy, 3, 0, K64));
    assertTrue(LabDisk.holds(stable.resolve(first.getFileName()), 2, 0, K64));

    Path fresh = tmp.newFolder("stable-empty").toPath();
    Path whole = DiskChains.copyFrozen(active, fresh);
    assertEquals("a chain with no copy at all is copied down to its bottom", 4, DiskChains.chain(whole).size());
    assertTrue(LabDisk.holds(whole, 4, 0, K64));
    try (var left = Files.list(fresh)) {
      assertEquals("no partial file is left", 4, left.count());
    }
  }

  /**
   * Stable disk states as the lab agent keeps them (a folder per checkpoint naming its top, one chain folder per
   * disk): deleting the oldest checkpoints merges the layers only they needed, and the checkpoints left read as before.
   */
  @Test public void forgettingOldCheckpointsMergesTheirLayersAndTheRestReadAsBefore() throws Exception {
    Path vm = tmp.newFolder("disks", "vm-1").toPath();
    Path chain = Files.createDirectories(vm.resolve("chain").resolve("vdb"));
    List<Path> frozen = List.of(base, first, second, active);  // what checkpoints 1..4 froze, in turn
    for (int i = 0; i < frozen.size(); i++) {
      Path copy = DiskChains.copyFrozen(frozen.get(i), chain);
      Files.setLastModifiedTime(copy, java.nio.file.attribute.FileTime.fromMillis(1_000_000L * (i + 1)));
      Files.writeString(Files.createDirectories(vm.resolve("i" + (i + 1) + "-n0")).resolve("vdb.top"),
          copy.getFileName().toString());
    }

    LabMachines.forgetCheckpointDisks(vm.resolve("i1-n0"));
    LabMachines.forgetCheckpointDisks(vm.resolve("i2-n0"));

    assertFalse(Files.exists(vm.resolve("i1-n0")));
    assertFalse("the layer only checkpoint 2 needed was merged away", Files.exists(chain.resolve(first.getFileName())));
    assertTrue("checkpoint 3 reads as before", LabDisk.holds(chain.resolve(second.getFileName()), 3, 0, K64));
    assertTrue("checkpoint 4 reads as before", LabDisk.holds(chain.resolve(active.getFileName()), 4, 0, K64));
    assertEquals(3, DiskChains.chain(chain.resolve(active.getFileName())).size());

    // The last checkpoints go too (left over): nothing is kept for a chain no checkpoint names, nothing breaks.
    LabMachines.forgetCheckpointDisks(vm.resolve("i3-n0"));
    assertTrue(LabDisk.holds(chain.resolve(active.getFileName()), 4, 0, K64));
    LabMachines.forgetCheckpointDisks(vm.resolve("i4-n0"));
    LabMachines.forgetCheckpointDisks(vm.resolve("i9-n0"));  // one with no disk state: nothing to do
  }

  /**
   * Checkpoints finish out of order under load: checkpoint 3's copy has landed while checkpoint 2's (the line's) is
   * still under way (its folder has no top yet). Forgetting checkpoint 1 must not merge away the layer checkpoint
   * 2's frozen file will name as its backing file; once its top is there, the next forget collects.
   */
  @Test public void aCheckpointWhoseCopyIsUnderWayKeepsTheLayersBelowIt() throws Exception {
    Path vm = tmp.newFolder("disks", "vm-2").toPath();
    Path chain = Files.createDirectories(vm.resolve("chain").resolve("vdb"));
    List<Path> frozen = List.of(base, first, second, active);
    for (int i : List.of(0, 2, 3)) {  // checkpoints 1, 3 and 4 copied; 2 not yet
      Path copy = DiskChains.copyFrozen(frozen.get(i), chain);
      Files.writeString(Files.createDirectories(vm.resolve("i" + (i + 1) + "-n0")).resolve("vdb.top"),
          copy.getFileName().toString());
    }
    Files.createDirectories(vm.resolve("i2-n0"));  // its folder exists from the start; its top comes last

    LabMachines.forgetCheckpointDisks(vm.resolve("i1-n0"));
    assertTrue("the file below checkpoint 2's is kept", Files.exists(chain.resolve(base.getFileName())));

    Path copy2 = DiskChains.copyFrozen(first, chain);  // checkpoint 2's copy lands
    Files.writeString(vm.resolve("i2-n0").resolve("vdb.top"), copy2.getFileName().toString());
    assertTrue("checkpoint 2 reads as it was taken", LabDisk.holds(copy2, 2, 0, K64));
    LabMachines.forgetCheckpointDisks(vm.resolve("i2-n0"));
    assertTrue("checkpoint 3 reads as before", LabDisk.holds(chain.resolve(second.getFileName()), 3, 0, K64));
    assertTrue("checkpoint 4 reads as before", LabDisk.holds(chain.resolve(active.getFileName()), 4, 0, K64));
    assertEquals("the layers below checkpoint 3 merged once nothing was being copied", 2,
        DiskChains.chain(chain.resolve(second.getFileName())).size());
  }

  @Test public void aMissingFileIsNamedInFull() throws Exception {
    Files.delete(first);
    try {
      DiskChains.chain(active);
      fail("read a chain with a hole");
    } catch (IOException e) {
      assertThat(e.getMessage(), containsString(first + " is missing"));
    }
  }
}
