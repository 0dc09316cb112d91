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
