package org.vmqsc.agent.store;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.vmqsc.agent.engine.CheckpointEngine;
import org.vmqsc.agent.engine.FixedChunker;

public class ConcurrentGarbageCollectionTest {

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test public void aHeldChunkSurvivesCollectionEvenWithNoManifest() throws IOException {
    DirectoryStore store = DirectoryStore.open("staging", tmp.getRoot().toPath());
    byte[] bytes = DirectoryStoreTest.randomImage(1, 1);
    String hash = new ChunkHasher().hash(bytes, 0, bytes.length);
    try (ChunkGuard.Lease lease = store.guard().open()) {
      lease.hold(hash);
      try (ChunkWriter writer = store.openWriter()) {
        writer.put(hash, ChunkCodec.encode(bytes, 0, bytes.length));
        writer.commit();
      }
      assertEquals(0, GarbageCollector.collect(store).chunksDeleted());
      assertTrue(store.hasChunk(hash));
    }
    assertEquals(1, GarbageCollector.collect(store).chunksDeleted());
  }

  /**
   * Checkpoints of images that share most chunks with a deleted checkpoint, while a collector runs in a loop:
   * every checkpoint that was written must restore intact.
   */
  @Test public void checkpointsWrittenDuringCollectionAllRestore() throws Exception {
    DirectoryStore store = DirectoryStore.open("staging", tmp.getRoot().toPath());
    CheckpointEngine engine = new CheckpointEngine(store, new FixedChunker(1));
    byte[] base = DirectoryStoreTest.randomImage(64, 2);
    AtomicBoolean done = new AtomicBoolean();
    AtomicReference<Throwable> collectorError = new AtomicReference<>();
    Thread collector = new Thread(() -> {
      try {
        while (!done.get()) {
          GarbageCollector.collect(store);
        }
      } catch (Throwable t) {
        collectorError.set(t);
      }
    });
    collector.start();
    List<byte[]> images = new ArrayList<>();
    try {
      for (int i = 0; i < 30; i++) {
        byte[] image = base.clone();
        image[(i % 64) * 4096] ^= (byte) (i + 1);  // one page differs, the rest dedups against older ones
        CheckpointKey key = new CheckpointKey("vm-1", "ck-" + i);
        engine.store(key, new ByteArrayInputStream(image), Map.of());
        images.add(image);
        if (i > 0) {
          store.deleteManifest(new CheckpointKey("vm-1", "ck-" + (i - 1)));  // frees the shared chunks' only owner
          images.set(i - 1, null);
        }
      }
    } finally {
      done.set(true);
      collector.join();
    }
    if (collectorError.get() != null) {
      throw new AssertionError(collectorError.get());
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CheckpointEngine.restore(new CheckpointKey("vm-1", "ck-29"), store, out, null);
    assertArrayEquals(images.get(29), out.toByteArray());
  }
}
