package org.vmqsc.agent.engine;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;
import static org.vmqsc.agent.engine.EngineCalls.restore;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.vmqsc.agent.store.CheckpointKey;
import org.vmqsc.agent.store.ChunkCodec;
import org.vmqsc.agent.store.ChunkHasher;
import org.vmqsc.agent.store.ChunkRef;
import org.vmqsc.agent.store.ChunkWriter;
import org.vmqsc.agent.store.DirectoryStore;
import org.vmqsc.agent.store.Manifest;

public class ZeroRunsTest {

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static final CheckpointKey FIRST = new CheckpointKey("vm-1", "ck-1");
  private static final CheckpointKey SECOND = new CheckpointKey("vm-1", "ck-2");
  private static final int PAGE = 4096;

  /** Every third page zero, alone between random ones: no chunk of 8 KiB or more is ever all zero. */
  private static byte[] scatteredZeroPages(int pages) {
    Random random = new Random(7);
    byte[] image = new byte[pages * PAGE];
    byte[] page = new byte[PAGE];
    for (int i = 0; i < pages; i++) {
      if (i % 3 != 0) {
        random.nextBytes(page);
        System.arraycopy(page, 0, image, i * PAGE, PAGE);
      }
    }
    return image;
  }

  @Test public void scatteredZeroPagesAreNeverStoredWhateverTheChunker() throws IOException {
    byte[] image = scatteredZeroPages(300);
    long zeroBytes = 100L * PAGE;
    for (Chunker chunker : new Chunker[] {new FixedChunker(4), new GearChunker(8192), new GearChunker(4096)}) {
      DirectoryStore store = DirectoryStore.open(chunker.name(), tmp.getRoot().toPath().resolve(chunker.name()));
      CheckpointStats stats = new CheckpointEngine(store, chunker).store(FIRST, new ByteArrayInputStream(image),
          Map.of());
      // (a random neighbour may end or begin with a zero byte, which goes with the run)
      assertTrue(chunker.name() + ": " + stats.zeroBytes(), stats.zeroBytes() >= zeroBytes);
      assertTrue(chunker.name() + ": " + stats.zeroBytes(), stats.zeroBytes() < zeroBytes + 1000);
      assertEquals(chunker.name(), image.length - stats.zeroBytes(), stats.newChunkRawBytes());
      assertArrayEquals(chunker.name(), image, restore(FIRST, store));
    }
  }

  @Test public void aPageThatBecomesZeroIsNotStoredInTheNextCheckpoint() throws IOException {
    byte[] image = scatteredZeroPages(300);
    DirectoryStore store = DirectoryStore.open("staging", tmp.getRoot().toPath().resolve("staging"));
    CheckpointEngine engine = new CheckpointEngine(store, new GearChunker(8192));
    engine.store(FIRST, new ByteArrayInputStream(image), Map.of());
    byte[] first = image.clone();
    java.util.Arrays.fill(image, 152 * PAGE - 100, 153 * PAGE, (byte) 0);  // page 152 zero, and the end of 151
    CheckpointStats second = engine.store(SECOND, new ByteArrayInputStream(image), Map.of());
    assertTrue("zero bytes: " + second.zeroBytes(), second.zeroBytes() >= 101L * PAGE + 100);
    assertArrayEquals(first, restore(FIRST, store));
    assertArrayEquals(image, restore(SECOND, store));
  }

  /** Checkpoints written before zero pages were cut out have chunks that span them: they restore as they are. */
  @Test public void aManifestWhoseChunksSpanZeroPagesStillRestoresAndIsBuiltUpon() throws IOException {
    byte[] image = scatteredZeroPages(60);
    DirectoryStore store = DirectoryStore.open("staging", tmp.getRoot().toPath().resolve("staging"));
    List<ChunkRef> refs = new ArrayList<>();
    ChunkHasher hasher = new ChunkHasher();
    try (ChunkWriter writer = store.openWriter()) {
      for (int offset = 0; offset < image.length; offset += 3 * PAGE) {  // each chunk: a zero page and two others
        String hash = hasher.hash(image, offset, 3 * PAGE);
        writer.put(hash, ChunkCodec.encode(image, offset, 3 * PAGE));
        refs.add(new ChunkRef(hash, 3 * PAGE));
      }
      writer.commit();
    }
    store.putManifest(new Manifest(Manifest.FORMAT, "vm-1", "ck-1", 1, image.length, "gear-8k", Map.of(), refs));
    assertArrayEquals(image, restore(FIRST, store));

    CheckpointEngine engine = new CheckpointEngine(store, new GearChunker(8192));
    CheckpointStats second = engine.store(SECOND, new ByteArrayInputStream(image), Map.of());
    assertTrue("zero bytes: " + second.zeroBytes(), second.zeroBytes() >= 20L * PAGE);
    assertArrayEquals(image, restore(FIRST, store));
    assertArrayEquals(image, restore(SECOND, store));
  }

  @Test public void scatteredZeroPagesAreWrittenAndLongRunsLeftAsHoles() throws IOException, InterruptedException {
    // Single zero pages between others (written as zeros), one long run (a hole), and a zero page at the end.
    byte[] image = new byte[400 * PAGE];
    Random random = new Random(5);
    for (int page = 0; page < 399; page++) {
      if (page % 3 != 2 && (page < 100 || page >= 300)) {
        for (int i = 0; i < PAGE; i++) {
          image[page * PAGE + i] = (byte) random.nextInt();
        }
      }
    }
    DirectoryStore store = DirectoryStore.open("staging", tmp.getRoot().toPath().resolve("staging"));
    new CheckpointEngine(store, new FixedChunker(1)).store(FIRST, new ByteArrayInputStream(image), Map.of());
    Path target = tmp.getRoot().toPath().resolve("restored.img");
    CheckpointEngine.restoreToFile(FIRST, store, target, null);
    assertArrayEquals(image, Files.readAllBytes(target));
    long allocated = allocatedBytes(target);
    assumeTrue("this file system reports no allocation", allocated >= 0);
    assertTrue("allocated " + allocated + " of " + image.length, allocated < image.length * 3 / 4);
  }

  @Test public void restoreToFileLeavesZeroPagesAsHoles() throws IOException, InterruptedException {
    byte[] image = new byte[512 * PAGE];
    for (int i = 0; i < PAGE; i++) {
      image[i] = (byte) i;
      image[200 * PAGE + i] = (byte) (i * 7);
    }
    DirectoryStore store = DirectoryStore.open("staging", tmp.getRoot().toPath().resolve("staging"));
    new CheckpointEngine(store, new GearChunker(8192)).store(FIRST, new ByteArrayInputStream(image), Map.of());
    Path target = tmp.getRoot().toPath().resolve("restored.img");
    CheckpointEngine.restoreToFile(FIRST, store, target, null);
    assertArrayEquals(image, Files.readAllBytes(target));  // the last page is a hole too: the length is right
    long allocated = allocatedBytes(target);
    assumeTrue("this file system reports no allocation", allocated >= 0);
    assertTrue("allocated " + allocated + " of " + image.length, allocated < image.length / 4);
  }

  /** Bytes the file system allocated for a file, from stat(1); -1 when that cannot be told. */
  private static long allocatedBytes(Path file) throws IOException, InterruptedException {
    Process stat;
    try {
      stat = new ProcessBuilder("stat", "-c", "%b %B", file.toString()).redirectErrorStream(true).start();
    } catch (IOException noStat) {
      return -1;
    }
    String[] out = new String(stat.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim().split(" ");
    if (stat.waitFor() != 0 || out.length != 2) {
      return -1;
    }
    return Long.parseLong(out[0]) * Long.parseLong(out[1]);
  }
}
