package org.vmqsc.agent.store;

import static org.hamcrest.CoreMatchers.containsString;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThat;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.vmqsc.agent.engine.CheckpointEngine;
import org.vmqsc.agent.engine.CheckpointFailedException;
import org.vmqsc.agent.engine.FixedChunker;
import org.vmqsc.agent.engine.RestoreRefusedException;

public class DirectoryStoreTest {

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static final CheckpointKey FIRST = new CheckpointKey("vm-1", "ck-1");
  private static final CheckpointKey SECOND = new CheckpointKey("vm-1", "ck-2");

  static byte[] randomImage(int pages, long seed) {
    byte[] image = new byte[pages * 4096];
    new Random(seed).nextBytes(image);
    return image;
  }

  private Path root() {
    return tmp.getRoot().toPath().resolve("store");
  }

  private static byte[] restore(CheckpointKey key, CheckpointStore store) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CheckpointEngine.restore(key, store, out, null);
    return out.toByteArray();
  }

  private static String someChunk(DirectoryStore store, CheckpointKey key, int index) throws IOException {
    return store.manifest(key).orElseThrow().chunks().get(index).hash();
  }

  @Test public void filesAndDirectoriesAreOwnerOnly() throws IOException {
    DirectoryStore store = DirectoryStore.open("staging", root());
    new CheckpointEngine(store, new FixedChunker(4)).store(FIRST, new ByteArrayInputStream(randomImage(20, 1)),
        Map.of());
    try (Stream<Path> all = Files.walk(root())) {
      all.forEach(path -> {
        try {
          String perms = PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
          assertEquals(path.toString(), Files.isDirectory(path) ? "rwx------" : "rw-------", perms);
        } catch (IOException e) {
          throw new AssertionError(e);
        }
      });
    }
  }

  @Test public void aFlippedByteInAChunkIsRefusedNamingCheckpointAndChunk() throws IOException {
    DirectoryStore store = DirectoryStore.open("staging", root());
    new CheckpointEngine(store, new FixedChunker(4)).store(FIRST, new ByteArrayInputStream(randomImage(40, 2)),
        Map.of());
    String hash = someChunk(store, FIRST, 2);
    Damage.flipBit(store, hash, 0);
    try {
      restore(FIRST, store);
      fail("restored a corrupt chunk");
    } catch (RestoreRefusedException e) {
      assertThat(e.getMessage(), containsString("vm-1/ck-1"));
      assertThat(e.getMessage(), containsString(hash));
      assertThat(e.getMessage(), containsString("corrupt"));
      assertEquals(hash, e.chunkHash());
    }
  }

  @Test public void aTruncatedChunkIsRefused() throws IOException {
    DirectoryStore store = DirectoryStore.open("staging", root());
    new CheckpointEngine(store, new FixedChunker(4)).store(FIRST, new ByteArrayInputStream(randomImage(40, 3)),
        Map.of());
    String hash = someChunk(store, FIRST, 2);
    Damage.truncateInside(store, hash);
    try {
      restore(FIRST, store);
      fail("restored a truncated chunk");
    } catch (RestoreRefusedException e) {
      assertEquals(hash, e.chunkHash());
      assertThat(e.getMessage(), containsString("truncated"));
    }
    // Reopened, the store indexes what is intact and reports the cut; the lost chunk is then missing.
    DirectoryStore reopened = DirectoryStore.open("staging", root());
    assertThat(reopened.openReport().problems().toString(), containsString("cut off"));
    try {
      restore(FIRST, reopened);
      fail("restored with a chunk missing");
    } catch (RestoreRefusedException e) {
      assertEquals(hash, e.chunkHash());
      assertThat(e.getMessage(), containsString("missing"));
    }
  }

  @Test public void aCorruptCompressedChunkIsRefused() throws IOException {
    DirectoryStore store = DirectoryStore.open("staging", root());
    byte[] text = new byte[16 * 4096];
    java.util.Arrays.fill(text, (byte) 'a');
    text[5] = 1;
    new CheckpointEngine(store, new FixedChunker(16)).store(FIRST, new ByteArrayInputStream(text), Map.of());
    String hash = someChunk(store, FIRST, 0);
    assertTrue(store.locate(hash).orElseThrow().length() < 4096);  // stored compressed
    Damage.flipBit(store, hash, 2);
    try {
      restore(FIRST, store);
      fail("restored a corrupt compressed chunk");
    } catch (RestoreRefusedException e) {
      assertThat(e.getMessage(), containsString("corrupt"));
    }
  }

  @Test public void aChunkTheManifestNamesButTheStoreLacksIsRefused() throws IOException {
    DirectoryStore store = DirectoryStore.open("staging", root());
    String unknown = "ab".repeat(32);
    store.putManifest(new Manifest(Manifest.FORMAT, "vm-1", "ck-9", 0, 4096, "fixed-4k", Map.of(),
        java.util.List.of(new ChunkRef(unknown, 4096))));
    try {
      restore(new CheckpointKey("vm-1", "ck-9"), store);
      fail("restored a checkpoint with a missing chunk");
    } catch (RestoreRefusedException e) {
      assertEquals(unknown, e.chunkHash());
      assertThat(e.getMessage(), containsString("vm-1/ck-9"));
      assertThat(e.getMessage(), containsString("missing"));
    }
  }

  @Test public void aDamagedManifestGivesAClearErrorAndTheOtherCheckpointsStillRestore() throws IOException {
    DirectoryStore store = DirectoryStore.open("staging", root());
    CheckpointEngine engine = new CheckpointEngine(store, new FixedChunker(4));
    byte[] first = randomImage(20, 4);
    engine.store(FIRST, new ByteArrayInputStream(first), Map.of());
    engine.store(SECOND, new ByteArrayInputStream(randomImage(20, 5)), Map.of());
    Path manifest = root().resolve("manifests/vm-1/ck-2");
    byte[] bytes = Files.readAllBytes(manifest);
    Files.write(manifest, java.util.Arrays.copyOf(bytes, bytes.length / 2));
    DirectoryStore reopened = DirectoryStore.open("staging", root());
    assertEquals(1, reopened.openReport().problems().size());
    try {
      restore(SECOND, reopened);
      fail("restored from a truncated manifest");
    } catch (RestoreRefusedException e) {
      assertThat(e.getMessage(), containsString("vm-1/ck-2"));
      assertThat(e.getMessage(), containsString("damaged"));
    }
    assertArrayEquals(first, restore(FIRST, reopened));
  }

  @Test public void aDamagedChunkIsNotReusedByTheNextCheckpointOfTheSameMemory() throws IOException {
    byte[] image = randomImage(40, 21);
    for (boolean sameEngine : new boolean[] {true, false}) {  // fingerprint reuse, and SHA-256 dedup
      Path root = tmp.newFolder().toPath().resolve("store");
      DirectoryStore store = DirectoryStore.open("staging", root);
      // Read back at every reuse (by default each copy in turn, at least every few checkpoints: ReadBackTurnsTest);
      // an engine whose index comes from the manifest reads every copy back at its first checkpoint
      CheckpointEngine engine = new CheckpointEngine(store, new FixedChunker(4)).readBackEvery(1);
      engine.store(FIRST, new ByteArrayInputStream(image), Map.of());
      String hash = someChunk(store, FIRST, 3);
      Damage.flipBit(store, hash, 0);

      (sameEngine ? engine : new CheckpointEngine(store, new FixedChunker(4)))
          .store(SECOND, new ByteArrayInputStream(image), Map.of());

      assertArrayEquals(image, restore(SECOND, store));
      DirectoryStore reopened = DirectoryStore.open("staging", root);  // the damaged copy is not indexed again
      assertArrayEquals(image, restore(SECOND, reopened));
      try {
        restore(FIRST, reopened);  // same chunk name: it now reads the good copy
      } catch (RestoreRefusedException e) {
        fail("the good copy of " + hash + " was not found: " + e.getMessage());
      }
    }
  }

  @Test public void aDamagedRecordHeaderIsReportedAtOpenAndNothingIsCollected() throws IOException {
    DirectoryStore store = DirectoryStore.open("staging", root());
    new CheckpointEngine(store, new FixedChunker(4)).store(FIRST, new ByteArrayInputStream(randomImage(40, 22)),
        Map.of());
    int chunks = store.chunkHashes().size();
    String hash = someChunk(store, FIRST, 5);
    Damage.flipHeaderBit(store, hash);

    DirectoryStore reopened = DirectoryStore.open("staging", root());

    assertThat(reopened.openReport().problems().toString(), containsString(hash));
    assertThat(reopened.openReport().problems().toString(), containsString("record header"));
    assertEquals(0, reopened.openReport().unreferencedChunksRemoved());
    assertEquals("the misnamed chunk was kept", chunks, reopened.chunkHashes().size());
  }

  @Test public void reopeningAfterACrashRemovesPartialWritesAndRebuildsTheIndex() throws IOException {
    DirectoryStore store = DirectoryStore.open("staging", root());
    byte[] image = randomImage(30, 6);
    new CheckpointEngine(store, new FixedChunker(4)).store(FIRST, new ByteArrayInputStream(image), Map.of());
    // What a crash between write and rename leaves: temporary files next to chunks and manifests.
    Files.write(root().resolve("packs/0f0f.pack.partial"), new byte[] {1, 2, 3});
    Files.write(root().resolve("manifests/vm-1/ck-2.x.partial"), new byte[] {9});
    DirectoryStore reopened = DirectoryStore.open("staging", root());
    assertEquals(2, reopened.openReport().partialFilesRemoved());
    assertEquals(store.chunkHashes(), reopened.chunkHashes());
    assertEquals(store.usedBytes(), reopened.usedBytes());
    assertEquals(java.util.List.of(FIRST), reopened.checkpoints());
    assertArrayEquals(image, restore(FIRST, reopened));
  }

  @Test public void openingASharedStoreLeavesAnotherHostsWriteInProgressAlone() throws IOException {
    DirectoryStore writer = DirectoryStore.openShared("stable", root());
    byte[] image = randomImage(30, 6);
    new CheckpointEngine(writer, new FixedChunker(4)).store(FIRST, new ByteArrayInputStream(image), Map.of());
    // Another host is writing a pack now (an agent starting must not take it away), and one was left long ago.
    Path writing = root().resolve("packs/0f0f.pack.partial");
    Path abandoned = root().resolve("packs/0e0e.pack.partial");
    Files.write(writing, new byte[] {1, 2, 3});
    Files.write(abandoned, new byte[] {4});
    Files.setLastModifiedTime(abandoned, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis()
        - 2 * 3_600_000L));
    DirectoryStore second = DirectoryStore.openShared("stable", root());
    assertTrue("the write in progress was deleted", Files.exists(writing));
    assertTrue("the abandoned write was kept", Files.notExists(abandoned));
    assertEquals(1, second.openReport().partialFilesRemoved());
    assertArrayEquals(image, restore(FIRST, second));
  }

  @Test public void chunksOfACheckpointKilledBeforeItsManifestAreCollected() throws IOException {
    DirectoryStore store = DirectoryStore.open("staging", root());
    byte[] image = randomImage(30, 7);
    new CheckpointEngine(store, new FixedChunker(4)).store(FIRST, new ByteArrayInputStream(image), Map.of());
    int before = store.chunkHashes().size();
    // A killed agent: chunks of a second checkpoint made it to disk, its manifest did not.
    byte[] orphan = randomImage(4, 8);
    try (ChunkWriter writer = store.openWriter()) {
      writer.put(new ChunkHasher().hash(orphan, 0, orphan.length), ChunkCodec.encode(orphan, 0, orphan.length));
      writer.commit();
    }
    assertEquals(before + 1, store.chunkHashes().size());
    DirectoryStore reopened = DirectoryStore.open("staging", root());
    assertEquals(1, reopened.openReport().unreferencedChunksRemoved());
    assertEquals(before, reopened.chunkHashes().size());
    assertArrayEquals(image, restore(FIRST, reopened));
  }

  @Test public void aFullStoreFailsTheCurrentCheckpointAndKeepsTheOlderOnes() throws IOException {
    byte[] first = randomImage(64, 9);  // 256 KiB, incompressible
    DirectoryStore store = DirectoryStore.open("staging", root(), 400 * 1024);
    CheckpointEngine engine = new CheckpointEngine(store, new FixedChunker(4));
    engine.store(FIRST, new ByteArrayInputStream(first), Map.of());
    try {
      engine.store(SECOND, new ByteArrayInputStream(randomImage(64, 10)), Map.of());
      fail("a full store took a checkpoint");
    } catch (CheckpointFailedException e) {
      assertThat(e.getMessage(), containsString("vm-1/ck-2"));
      assertThat(e.getMessage(), containsString("full"));
      assertTrue(e.getCause() instanceof StoreFullException);
    }
    assertFalse(store.manifest(SECOND).isPresent());
    assertEquals(16, store.chunkHashes().size());  // nothing of the failed checkpoint remains
    try (Stream<Path> packs = Files.list(root().resolve("packs"))) {
      assertEquals(1, packs.count());
    }
    assertArrayEquals(first, restore(FIRST, store));
    // Once room is made, checkpoints work again.
    store.deleteManifest(FIRST);
    GarbageCollector.collect(store);
    engine.store(SECOND, new ByteArrayInputStream(randomImage(64, 10)), Map.of());
  }

  /** The same on a real full file system: a 1 MiB tmpfs (needs root; skipped elsewhere). */
  @Test public void aFullDiskFailsTheCurrentCheckpointAndKeepsTheOlderOnes() throws Exception {
    Path mount = tmp.newFolder("tiny").toPath();
    Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=1m", "vmqsc-test", mount.toString())
        .redirectErrorStream(true).start();
    boolean mounted = p.waitFor() == 0;
    org.junit.Assume.assumeTrue("skipped: cannot mount a small tmpfs here (needs root) to fill a real disk", mounted);
    try {
      DirectoryStore store = DirectoryStore.open("staging", mount.resolve("store"));
      CheckpointEngine engine = new CheckpointEngine(store, new FixedChunker(4));
      byte[] first = randomImage(128, 11);  // 512 KiB
      engine.store(FIRST, new ByteArrayInputStream(first), Map.of());
      try {
        engine.store(SECOND, new ByteArrayInputStream(randomImage(192, 12)), Map.of());  // 768 KiB: does not fit
        fail("a full disk took a checkpoint");
      } catch (CheckpointFailedException e) {
        assertThat(e.getMessage(), containsString("no space left"));
      }
      assertFalse(store.manifest(SECOND).isPresent());
      assertArrayEquals(first, restore(FIRST, DirectoryStore.open("staging", mount.resolve("store"))));
    } finally {
      new ProcessBuilder("umount", mount.toString()).start().waitFor();
    }
  }

  private static long packFiles(DirectoryStore store) throws IOException {
    try (Stream<Path> files = Files.list(store.packDir())) {
      return files.count();
    }
  }

  @Test public void aFullDiskWhenAWriterRollsOverToANewPackIsReportedAsAFullStore() throws IOException {
    DirectoryStore store = DirectoryStore.open("staging", root());
    store.packLimitBytes = 64 << 10;  // a rollover after 16 chunks, their records still in the writer's buffer
    store.packChannels = FailingPackChannel::new;
    Random random = new Random(1);
    byte[] chunk = new byte[4096];
    ChunkHasher hasher = new ChunkHasher();
    int put = 0;
    try (ChunkWriter writer = store.openWriter()) {
      try {
        for (; put < 100; put++) {
          random.nextBytes(chunk);
          if (put == 10) {
            FailingPackChannel.failWrites = "No space left on device";
          }
          writer.put(hasher.hash(chunk, 0, chunk.length), ChunkCodec.encode(chunk, 0, chunk.length));
        }
        fail("the first pack's records cannot be written");
      } catch (StoreFullException e) {
        assertThat(e.getMessage(), containsString("is full"));
      } finally {
        FailingPackChannel.reset();
      }
      assertTrue("failed at the rollover, not before: " + put, put > 10 && put < 20);
      writer.commit();  // the disk has room again: nothing added before is lost
    }
    assertEquals("every chunk added before the failed one", put, store.chunkHashes().size());
  }

  @Test public void aWriterWhosePackFailedToSyncNeverCommitsIt() throws IOException {
    DirectoryStore store = DirectoryStore.open("staging", root());
    store.packChannels = FailingPackChannel::new;
    byte[] chunk = new byte[4096];
    new Random(2).nextBytes(chunk);
    String hash = new ChunkHasher().hash(chunk, 0, chunk.length);
    try (ChunkWriter writer = store.openWriter()) {
      writer.put(hash, ChunkCodec.encode(chunk, 0, chunk.length));
      FailingPackChannel.failForce = "Input/output error";
      try {
        writer.commit();
        fail("a pack whose fsync failed must not be committed");
      } catch (IOException e) {
        assertThat(e.getMessage(), containsString("Input/output error"));
      } finally {
        FailingPackChannel.reset();
      }
      try {
        writer.commit();  // the device works again: the pack written before may still have lost pages
        fail("a retried commit must not rename a pack whose fsync failed");
      } catch (IOException e) {
        assertThat(e.getMessage(), containsString("may not be durable"));
      }
    }
    assertFalse(store.hasChunk(hash));
    assertEquals("the temporary pack is gone, no pack was renamed", 0, packFiles(store));
    try (ChunkWriter writer = store.openWriter()) {  // a new writer stores it
      writer.put(hash, ChunkCodec.encode(chunk, 0, chunk.length));
      writer.commit();
    }
    assertTrue(store.hasChunk(hash));
  }
}
