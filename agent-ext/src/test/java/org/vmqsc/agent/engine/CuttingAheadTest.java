package org.vmqsc.agent.engine;

import static org.hamcrest.CoreMatchers.containsString;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThat;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.vmqsc.agent.engine.EngineCalls.restore;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.vmqsc.agent.store.CheckpointKey;
import org.vmqsc.agent.store.DirectoryStore;
import org.vmqsc.agent.store.Manifest;

/**
 * A checkpoint whose image is cut on a thread of its own ahead of the storing ({@link CuttingAhead}) is the same
 * checkpoint one thread makes, over many random series of images cut into many small blocks; and when either side
 * fails, the cutter has stopped reading the caller's stream before the engine returns.
 */
public class CuttingAheadTest {

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static final int SERIES = 80;
  private static final int CHECKPOINTS = 4;

  @Test public void cutsTheSameCheckpointsAsOneThreadOverManyRandomSeries() throws IOException {
    for (long seed = 0; seed < SERIES; seed++) {
      Random random = new Random(seed);
      Chunker chunker = Images.anyChunker(random);
      Path root = tmp.newFolder("series-" + seed).toPath();
      DirectoryStore aheadStore = DirectoryStore.open("ahead", root.resolve("ahead"));
      DirectoryStore singleStore = DirectoryStore.open("single", root.resolve("single"));
      // The smallest blocks the chunker allows: a chunk boundary near every block's end.
      CheckpointEngine ahead = new CheckpointEngine(aheadStore, chunker).cutAhead(true).blockBytes(1);
      CheckpointEngine single = new CheckpointEngine(singleStore, chunker).cutAhead(false).blockBytes(1);
      byte[] image = Images.mixed(random, 40_000, 400_000);
      for (int c = 1; c <= CHECKPOINTS; c++) {
        CheckpointKey key = new CheckpointKey("vm", "ck-" + c);
        String context = "seed " + seed + ", " + chunker.name() + ", checkpoint " + c + " of " + image.length + " B";
        CheckpointStats a = ahead.store(key, new ByteArrayInputStream(image), Map.of());
        CheckpointStats s = single.store(key, new ByteArrayInputStream(image), Map.of());
        assertTrue(context, a.cutAhead() && !s.cutAhead());
        Manifest aheadManifest = aheadStore.manifest(key).orElseThrow();
        Manifest singleManifest = singleStore.manifest(key).orElseThrow();
        assertEquals(context, singleManifest.chunks(), aheadManifest.chunks());
        assertEquals(context, decided(s), decided(a));
        assertArrayEquals(context, image, restore(key, aheadStore));
        image = Images.changed(image, random);
      }
    }
  }

  @Test public void theOwnChoiceCutsAheadWhereMostOfTheImageIsStoredAnewAndOnlyWhereACoreIsIdle()
      throws IOException {
    DirectoryStore store = DirectoryStore.open("s", tmp.getRoot().toPath().resolve("own"));
    AtomicBoolean idle = new AtomicBoolean(true);
    CheckpointEngine engine = new CheckpointEngine(store, new GearChunker(8192)).cutAhead(null)
        .idleCore(idle::get).blockBytes(1);
    Random random = new Random(7);
    byte[] image = Images.memory(300, 1);
    assertTrue("a first checkpoint stores everything anew", store(engine, "ck-1", image).cutAhead());
    byte[] fewPagesRewritten = image.clone();
    for (int page = 0; page < fewPagesRewritten.length / 4096; page += 20) {
      Arrays.fill(fewPagesRewritten, page * 4096, page * 4096 + 4096, (byte) random.nextInt());
    }
    assertFalse("an incremental after a first checkpoint reuses most chunks",
        store(engine, "ck-2", fewPagesRewritten).cutAhead());
    byte[] allNew = new byte[image.length];
    random.nextBytes(allNew);
    CheckpointStats churned = store(engine, "ck-3", allNew);
    assertFalse("its predecessor stored little anew", churned.cutAhead());
    assertTrue(churned.newChunkRawBytes() * 2 >= churned.imageBytes());
    random.nextBytes(allNew);
    assertTrue("after an incremental that stored most of its image anew",
        store(engine, "ck-4", allNew).cutAhead());
    idle.set(false);
    random.nextBytes(allNew);
    assertFalse("no idle core", store(engine, "ck-5", allNew).cutAhead());
    assertTrue("forced", engine.cutAhead(true).store(new CheckpointKey("vm", "ck-6"),
        new ByteArrayInputStream(fewPagesRewritten), Map.of()).cutAhead());
    assertArrayEquals(allNew, restore(new CheckpointKey("vm", "ck-5"), store));
  }

  private static CheckpointStats store(CheckpointEngine engine, String id, byte[] image) throws IOException {
    return engine.store(new CheckpointKey("vm", id), new ByteArrayInputStream(image), Map.of());
  }

  @Test public void aStreamThatBreaksStopsTheCutterAndLeavesNoCheckpoint() throws IOException {
    DirectoryStore store = DirectoryStore.open("s", tmp.getRoot().toPath().resolve("s"));
    CheckpointEngine engine = new CheckpointEngine(store, new GearChunker(8192)).cutAhead(true).blockBytes(1);
    byte[] first = Images.memory(200, 1);
    engine.store(new CheckpointKey("vm", "ck-1"), new ByteArrayInputStream(first), Map.of());
    int chunksBefore = store.chunkHashes().size();
    WatchedStream breaking = new WatchedStream(Images.memory(200, 2), 300_000);
    try {
      engine.store(new CheckpointKey("vm", "ck-2"), breaking, Map.of());
      fail("a broken stream made a checkpoint");
    } catch (CheckpointFailedException e) {
      assertThat(e.getMessage(), containsString("hypervisor went away"));
    }
    breaking.returned.set(true);
    assertFalse(store.manifest(new CheckpointKey("vm", "ck-2")).isPresent());
    assertEquals(chunksBefore, store.chunkHashes().size());
    assertArrayEquals(first, restore(new CheckpointKey("vm", "ck-1"), store));
    assertEquals("reads of the stream after the engine returned", 0, breaking.readsAfterReturn.get());
  }

  @Test public void aFullStoreStopsTheCutterBeforeTheEngineReturns() throws IOException {
    byte[] image = Images.memory(2000, 3);  // 8 MiB, 6 of them random: far more than the store can take
    DirectoryStore store = DirectoryStore.open("s", tmp.getRoot().toPath().resolve("s"), 1 << 20);
    CheckpointEngine engine = new CheckpointEngine(store, new GearChunker(8192)).cutAhead(true).blockBytes(1);
    WatchedStream stream = new WatchedStream(image, Long.MAX_VALUE);
    try {
      engine.store(new CheckpointKey("vm", "ck-1"), stream, Map.of());
      fail("a full store took the checkpoint");
    } catch (CheckpointFailedException e) {
      assertTrue(e.getMessage(), stream.read.get() < image.length);  // the cutter was stopped, not run to the end
    }
    stream.returned.set(true);
    assertFalse(store.manifest(new CheckpointKey("vm", "ck-1")).isPresent());
    assertEquals("reads of the stream after the engine returned", 0, stream.readsAfterReturn.get());
    // The engine is whole afterwards: the next checkpoint in a store with room works.
    DirectoryStore roomy = DirectoryStore.open("r", tmp.getRoot().toPath().resolve("r"));
    new CheckpointEngine(roomy, new GearChunker(8192)).cutAhead(true)
        .store(new CheckpointKey("vm", "ck-1"), new ByteArrayInputStream(image), Map.of());
    assertArrayEquals(image, restore(new CheckpointKey("vm", "ck-1"), roomy));
  }

  /**
   * The figures that depend only on the images: not the time spent, nor the bytes the random audit hashed or read
   * back.
   */
  private static String decided(CheckpointStats stats) {
    return new CheckpointStats(stats.imageBytes(), stats.zeroBytes(), stats.dedupBytes(), stats.newChunkRawBytes(),
        stats.chunks(), stats.newChunks(), stats.storedBytes(), stats.manifestBytes(), 0, stats.stagedBytes(), 0, 0,
        false)
        .toString();
  }

  /** An image stream that may break after {@code breakAfter} bytes, and counts reads after the engine returned. */
  private static final class WatchedStream extends InputStream {
    final AtomicBoolean returned = new AtomicBoolean();
    final AtomicLong readsAfterReturn = new AtomicLong();
    final AtomicLong read = new AtomicLong();
    private final InputStream in;
    private final long breakAfter;

    WatchedStream(byte[] bytes, long breakAfter) {
      this.in = new ByteArrayInputStream(bytes);
      this.breakAfter = breakAfter;
    }

    @Override public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override public int read(byte[] b, int off, int len) throws IOException {
      if (returned.get()) readsAfterReturn.incrementAndGet();
      try {
        Thread.sleep(0, 100_000);  // a slow source: the storing fails while the cutter still reads
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (read.get() >= breakAfter) throw new IOException("hypervisor went away");
      int n = in.read(b, off, (int) Math.min(len, Math.min(16_384, breakAfter - read.get())));
      if (n > 0) read.addAndGet(n);
      return n;
    }
  }
}
