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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.vmqsc.agent.store.CheckpointKey;
import org.vmqsc.agent.store.ChunkRef;
import org.vmqsc.agent.store.DirectoryStore;
import org.vmqsc.agent.store.GarbageCollector;
import org.vmqsc.agent.store.Manifest;

public class CheckpointEngineTest {

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static final CheckpointKey FIRST = new CheckpointKey("vm-1", "ck-1");
  private static final CheckpointKey SECOND = new CheckpointKey("vm-1", "ck-2");

  private DirectoryStore store() throws IOException {
    return DirectoryStore.open("staging", tmp.getRoot().toPath().resolve("staging"));
  }

  @Test public void restoresTheExactImageWithEitherChunker() throws IOException {
    byte[] image = Images.memory(300, 1);
    for (Chunker chunker : new Chunker[] {new FixedChunker(4), new GearChunker(8192)}) {
      DirectoryStore store = DirectoryStore.open(chunker.name(), tmp.getRoot().toPath().resolve(chunker.name()));
      CheckpointEngine engine = new CheckpointEngine(store, chunker);
      CheckpointStats stats = engine.store(FIRST, new ByteArrayInputStream(image), Map.of("mode", "test"));
      assertEquals(image.length, stats.imageBytes());
      assertArrayEquals(chunker.name(), image, restore(FIRST, store));
      assertEquals("test", store.manifest(FIRST).orElseThrow().attributes().get("mode"));
    }
  }

  @Test public void restoresImagesWhoseLengthIsNotAMultipleOfAPage() throws IOException {
    byte[] image = java.util.Arrays.copyOf(Images.memory(10, 2), 10 * 4096 - 123);
    DirectoryStore store = store();
    new CheckpointEngine(store, new GearChunker(4096)).store(FIRST, new ByteArrayInputStream(image), Map.of());
    assertArrayEquals(image, restore(FIRST, store));
  }

  @Test public void zeroChunksAreNotStored() throws IOException {
    byte[] image = new byte[64 * 4096];
    DirectoryStore store = store();
    CheckpointStats stats = new CheckpointEngine(store, new FixedChunker(4))
        .store(FIRST, new ByteArrayInputStream(image), Map.of());
    assertEquals(image.length, stats.zeroBytes());
    assertTrue(store.chunkHashes().isEmpty());
    assertTrue(store.manifest(FIRST).orElseThrow().chunks().stream().allMatch(ChunkRef::isZero));
    assertArrayEquals(image, restore(FIRST, store));
  }

  @Test public void compressibleChunksAreStoredCompressed() throws IOException {
    byte[] image = new byte[64 * 4096];
    for (int i = 0; i < image.length; i++) {
      image[i] = (byte) ("guest text " + (i / 64)).charAt(i % 11);
    }
    DirectoryStore store = store();
    CheckpointStats stats = new CheckpointEngine(store, new FixedChunker(4))
        .store(FIRST, new ByteArrayInputStream(image), Map.of());
    assertTrue("stored " + stats.storedBytes() + " of " + image.length, stats.storedBytes() < image.length / 4);
    assertArrayEquals(image, restore(FIRST, store));
  }

  @Test public void aSecondCheckpointStoresOnlyWhatChanged() throws IOException {
    byte[] image = Images.memory(1000, 3);
    DirectoryStore store = store();
    CheckpointEngine engine = new CheckpointEngine(store, new FixedChunker(1));
    CheckpointStats full = engine.store(FIRST, new ByteArrayInputStream(image), Map.of());
    byte[] firstImage = image.clone();
    Images.rewrite(image, 50, 4);  // 5 % of the pages
    CheckpointStats incremental = engine.store(SECOND, new ByteArrayInputStream(image), Map.of());
    assertEquals(50, incremental.newChunks());
    assertTrue("incremental " + incremental.storedBytes() + " vs full " + full.storedBytes(),
        incremental.storedBytes() < full.storedBytes() / 10);
    assertArrayEquals(firstImage, restore(FIRST, store));
    assertArrayEquals(image, restore(SECOND, store));
  }

  @Test public void contentDefinedChunksSurviveAShiftOfTheContent() throws IOException {
    byte[] image = Images.memory(500, 5);
    byte[] shifted = new byte[image.length + 24];
    System.arraycopy(image, 0, shifted, 24, image.length);  // like a longer header in front of a stream
    DirectoryStore store = store();
    CheckpointEngine engine = new CheckpointEngine(store, new GearChunker(8192));
    engine.store(FIRST, new ByteArrayInputStream(image), Map.of());
    CheckpointStats second = engine.store(SECOND, new ByteArrayInputStream(shifted), Map.of());
    assertTrue("re-stored " + second.newChunkRawBytes() + " bytes after a shift",
        second.newChunkRawBytes() < image.length / 20);
    assertArrayEquals(shifted, restore(SECOND, store));
  }

  @Test public void anExistingCheckpointIsNeverOverwritten() throws IOException {
    DirectoryStore store = store();
    CheckpointEngine engine = new CheckpointEngine(store, new FixedChunker(4));
    byte[] image = Images.memory(20, 6);
    engine.store(FIRST, new ByteArrayInputStream(image), Map.of());
    try {
      engine.store(FIRST, new ByteArrayInputStream(Images.memory(20, 7)), Map.of());
      fail("overwrote a checkpoint");
    } catch (IllegalArgumentException expected) {
      assertThat(expected.getMessage(), containsString("already exists"));
    }
    assertArrayEquals(image, restore(FIRST, store));
  }

  @Test public void anImageStreamThatBreaksLeavesNoCheckpointAndNoOrphans() throws IOException {
    DirectoryStore store = store();
    CheckpointEngine engine = new CheckpointEngine(store, new FixedChunker(4));
    byte[] first = Images.memory(100, 8);
    engine.store(FIRST, new ByteArrayInputStream(first), Map.of());
    int chunksBefore = store.chunkHashes().size();
    InputStream breaking = new InputStream() {
      final InputStream in = new ByteArrayInputStream(Images.memory(100, 9));
      int read;
      @Override public int read() throws IOException {
        if (++read > 200_000) {
          throw new IOException("hypervisor went away");
        }
        return in.read();
      }
    };
    try {
      engine.store(SECOND, breaking, Map.of());
      fail("a broken stream made a checkpoint");
    } catch (CheckpointFailedException e) {
      assertThat(e.getMessage(), containsString("vm-1/ck-2"));
      assertThat(e.getMessage(), containsString("hypervisor went away"));
    }
    assertFalse(store.manifest(SECOND).isPresent());
    assertEquals(chunksBefore, store.chunkHashes().size());
    assertArrayEquals(first, restore(FIRST, store));
  }

  @Test public void restoreToFileCreatesNothingWhenAChunkIsCorrupt() throws IOException {
    DirectoryStore store = store();
    new CheckpointEngine(store, new FixedChunker(4)).store(FIRST, new ByteArrayInputStream(Images.memory(40, 10)),
        Map.of());
    Manifest manifest = store.manifest(FIRST).orElseThrow();
    String victim = manifest.chunks().stream().filter(c -> !c.isZero()).skip(3).findFirst().orElseThrow().hash();
    org.vmqsc.agent.store.Damage.flipBit(store, victim, 0);
    Path target = tmp.getRoot().toPath().resolve("restored.img");
    try {
      CheckpointEngine.restoreToFile(FIRST, store, target, null);
      fail("restored with a missing chunk");
    } catch (RestoreRefusedException e) {
      assertEquals(victim, e.chunkHash());
      assertThat(e.getMessage(), containsString("vm-1/ck-1"));
      assertThat(e.getMessage(), containsString(victim));
    }
    try (var files = Files.list(tmp.getRoot().toPath())) {
      assertTrue("left files behind", files.noneMatch(p -> p.getFileName().toString().startsWith("restored")));
    }
  }

  @Test public void garbageCollectionKeepsSharedChunksAndDropsUnreferencedOnes() throws IOException {
    DirectoryStore store = store();
    CheckpointEngine engine = new CheckpointEngine(store, new FixedChunker(1));
    byte[] image = Images.memory(200, 11);
    engine.store(FIRST, new ByteArrayInputStream(image), Map.of());
    Images.rewrite(image, 20, 12);
    engine.store(SECOND, new ByteArrayInputStream(image), Map.of());
    java.util.Set<String> onlyInFirst = hashes(store.manifest(FIRST).orElseThrow());
    onlyInFirst.removeAll(hashes(store.manifest(SECOND).orElseThrow()));
    assertTrue(onlyInFirst.size() > 10);
    store.deleteManifest(FIRST);
    GarbageCollector.Result result = GarbageCollector.collect(store);
    assertEquals(onlyInFirst.size(), result.chunksDeleted());
    for (String hash : onlyInFirst) {
      assertFalse(store.hasChunk(hash));
    }
    assertArrayEquals(image, restore(SECOND, store));
  }

  private static java.util.Set<String> hashes(Manifest manifest) {
    java.util.Set<String> hashes = new java.util.HashSet<>();
    manifest.chunks().stream().filter(c -> !c.isZero()).forEach(c -> hashes.add(c.hash()));
    return hashes;
  }

  @Test public void garbageCollectionRewritesMostlyDeadPacksAndGivesTheSpaceBack() throws IOException {
    DirectoryStore store = store();
    CheckpointEngine engine = new CheckpointEngine(store, new FixedChunker(1));
    byte[] first = Images.memory(400, 13);
    engine.store(FIRST, new ByteArrayInputStream(first), Map.of());
    byte[] second = first.clone();
    Images.rewrite(second, 300, 14);  // three quarters of the pages change
    engine.store(SECOND, new ByteArrayInputStream(second), Map.of());
    long before = store.usedBytes();
    store.deleteManifest(FIRST);
    GarbageCollector.Result result = GarbageCollector.collect(store);
    assertTrue("reclaimed " + (before - result.bytesAfter()), result.bytesAfter() < before * 0.7);
    assertArrayEquals(second, restore(SECOND, store));
    // Reopening finds exactly what is live.
    DirectoryStore reopened = DirectoryStore.open("staging", tmp.getRoot().toPath().resolve("staging"));
    assertEquals(0, reopened.openReport().unreferencedChunksRemoved());
    assertEquals(hashes(store.manifest(SECOND).orElseThrow()), reopened.chunkHashes());
    assertArrayEquals(second, restore(SECOND, reopened));
  }
}
