package org.vmqsc.agent.flush;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.vmqsc.agent.engine.CheckpointEngine;
import org.vmqsc.agent.engine.FixedChunker;
import org.vmqsc.agent.store.CheckpointKey;
import org.vmqsc.agent.store.DirectoryStore;
import org.vmqsc.agent.store.SharedStoreSweeper;

public class LazyFlusherTest {

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static final CheckpointKey FIRST = new CheckpointKey("vm-1", "ck-1");
  private static final CheckpointKey SECOND = new CheckpointKey("vm-1", "ck-2");

  private static byte[] image(long seed) {
    byte[] image = new byte[32 * 4096];
    new Random(seed).nextBytes(image);
    return image;
  }

  @Test public void aStagedCheckpointBecomesStableAndRestoresFromStableStorage() throws Exception {
    DirectoryStore staging = DirectoryStore.open("staging", tmp.newFolder("host").toPath());
    DirectoryStore stable = DirectoryStore.openShared("stable", tmp.newFolder("secondary").toPath());
    CheckpointEngine engine = new CheckpointEngine(staging, new FixedChunker(4));
    byte[] first = image(1);
    engine.store(FIRST, new ByteArrayInputStream(first), Map.of());
    List<String> events = new CopyOnWriteArrayList<>();
    try (LazyFlusher flusher = new LazyFlusher(staging, stable, BandwidthBudget.unlimited(), 50)) {
      flusher.addListener((key, state) -> events.add(key + " " + state));
      assertEquals(Optional.of(CheckpointState.STAGED), flusher.state(FIRST));
      flusher.start().submit(FIRST);
      assertTrue(flusher.awaitStable(FIRST, 10_000));
    }
    // Checked after close(), which joins the worker: the manifest becomes visible a moment before listeners hear.
    assertEquals(List.of("vm-1/ck-1 STABLE"), events);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CheckpointEngine.restore(FIRST, stable, out, null);
    assertArrayEquals(first, out.toByteArray());
  }

  @Test public void onlyChunksTheStableStoreLacksAreSent() throws Exception {
    DirectoryStore staging = DirectoryStore.open("staging", tmp.newFolder("host").toPath());
    DirectoryStore stable = DirectoryStore.openShared("stable", tmp.newFolder("secondary").toPath());
    CheckpointEngine engine = new CheckpointEngine(staging, new FixedChunker(1));
    byte[] image = image(2);
    engine.store(FIRST, new ByteArrayInputStream(image), Map.of());
    image[0] ^= 1;
    engine.store(SECOND, new ByteArrayInputStream(image), Map.of());
    try (LazyFlusher flusher = new LazyFlusher(staging, stable, BandwidthBudget.unlimited(), 50)) {
      flusher.flush(FIRST);
      int afterFirst = stable.chunkHashes().size();
      flusher.flush(SECOND);
      assertEquals(afterFirst + 1, stable.chunkHashes().size());
    }
  }

  @Test public void everyByteSentPassesTheBandwidthBudget() throws Exception {
    DirectoryStore staging = DirectoryStore.open("staging", tmp.newFolder("host").toPath());
    DirectoryStore stable = DirectoryStore.openShared("stable", tmp.newFolder("secondary").toPath());
    byte[] image = new byte[96 * 4096];
    new Random(3).nextBytes(image);
    new CheckpointEngine(staging, new FixedChunker(4)).store(FIRST, new ByteArrayInputStream(image), Map.of());
    long[] virtualNanos = {0};
    BandwidthBudget budget = new BandwidthBudget(128 * 1024, () -> virtualNanos[0], n -> virtualNanos[0] += n);
    try (LazyFlusher flusher = new LazyFlusher(staging, stable, budget, 50)) {
      flusher.flush(FIRST);
    }
    // 384 KiB of incompressible chunks at 128 KiB/s, the first second's worth as a burst: two virtual seconds.
    assertEquals(2.0, virtualNanos[0] / 1e9, 0.05);
  }

  @Test public void aChunkThatRottedOnTheHostIsNotSpreadAndTheCheckpointStaysStaged() throws Exception {
    DirectoryStore staging = DirectoryStore.open("staging", tmp.newFolder("host").toPath());
    DirectoryStore stable = DirectoryStore.openShared("stable", tmp.newFolder("secondary").toPath());
    new CheckpointEngine(staging, new FixedChunker(4)).store(FIRST, new ByteArrayInputStream(image(4)), Map.of());
    String hash = staging.manifest(FIRST).orElseThrow().chunks().get(1).hash();
    org.vmqsc.agent.store.Damage.flipBit(staging, hash, 0);
    List<IOException> failures = new CopyOnWriteArrayList<>();
    try (LazyFlusher flusher = new LazyFlusher(staging, stable, BandwidthBudget.unlimited(), 10_000)) {
      flusher.addListener(new LazyFlusher.Listener() {
        @Override public void stateChanged(CheckpointKey key, CheckpointState state) {}

        @Override public void flushFailed(CheckpointKey key, IOException error) {
          failures.add(error);
        }
      });
      flusher.start().submit(FIRST);
      long deadline = System.currentTimeMillis() + 10_000;
      while (failures.isEmpty() && System.currentTimeMillis() < deadline) {
        Thread.sleep(10);
      }
      assertEquals(Optional.of(CheckpointState.STAGED), flusher.state(FIRST));
    }
    assertEquals(1, failures.size());
    assertTrue(failures.get(0).getMessage(), failures.get(0).getMessage().contains(hash));
    assertTrue(stable.checkpoints().isEmpty());
  }

  /**
   * Two hosts on one stable store: the second host's store indexed a pack that a sweep on the first moved aside
   * (no manifest named it) before the second host flushed a checkpoint with the same chunks. Its flush skips them
   * (its index says the store has them), sees before the manifest that their pack is gone, and stores them again.
   */
  @Test public void chunksWhosePackASweepMovedAsideBeforeTheManifestAreStoredAgain() throws Exception {
    Path secondary = tmp.newFolder("secondary").toPath();
    CheckpointKey otherHosts = new CheckpointKey("vm-2", "ck-1");
    byte[] image = image(5);
    DirectoryStore stable1 = DirectoryStore.openShared("stable", secondary);
    DirectoryStore staging1 = DirectoryStore.open("staging", tmp.newFolder("host-1").toPath());
    new CheckpointEngine(staging1, new FixedChunker(4)).store(otherHosts, new ByteArrayInputStream(image), Map.of());
    try (LazyFlusher flusher = new LazyFlusher(staging1, stable1, BandwidthBudget.unlimited(), 50)) {
      flusher.flush(otherHosts);
    }
    stable1.deleteManifest(otherHosts);

    DirectoryStore stable2 = DirectoryStore.openShared("stable", secondary);  // indexes the first host's pack
    DirectoryStore staging2 = DirectoryStore.open("staging", tmp.newFolder("host-2").toPath());
    new CheckpointEngine(staging2, new FixedChunker(4)).store(FIRST, new ByteArrayInputStream(image), Map.of());
    Instant later = Instant.now().plus(Duration.ofMinutes(20));
    assertEquals(1, SharedStoreSweeper.sweep(stable1, Duration.ofMinutes(10), later).orElseThrow()
        .packsFossilized());
    try (LazyFlusher flusher = new LazyFlusher(staging2, stable2, BandwidthBudget.unlimited(), 50)) {
      flusher.flush(FIRST);
    }

    DirectoryStore fresh = DirectoryStore.openShared("stable", secondary);  // indexes packs/ only
    for (var ref : fresh.manifest(FIRST).orElseThrow().chunks()) {
      assertTrue("stored again: " + ref.hash(), fresh.hasChunk(ref.hash()));
    }
    SharedStoreSweeper.Result purge = SharedStoreSweeper.sweep(stable1, Duration.ofMinutes(10),
        later.plus(Duration.ofMinutes(20))).orElseThrow();
    assertEquals("a live pack holds its chunks now", 1, purge.fossilsDeleted());
    assertEquals(0, purge.fossilsRestored());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CheckpointEngine.restore(FIRST, DirectoryStore.openShared("stable", secondary), out, null);
    assertArrayEquals(image, out.toByteArray());
  }
}
