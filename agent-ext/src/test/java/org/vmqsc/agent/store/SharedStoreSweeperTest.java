package org.vmqsc.agent.store;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.vmqsc.agent.engine.CheckpointEngine;
import org.vmqsc.agent.engine.FixedChunker;

/**
 * The shared store's sweep, with two {@link DirectoryStore} instances on one root standing for two hosts (each has
 * its own index). Times are given explicitly: "later" is a grace period and more after the packs were written.
 */
public class SharedStoreSweeperTest {

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static final Duration GRACE = Duration.ofMinutes(10);
  private static final CheckpointKey FIRST = new CheckpointKey("vm-1", "ck-1");
  private static final CheckpointKey SECOND = new CheckpointKey("vm-1", "ck-2");

  private final Instant later = Instant.now().plus(GRACE).plusSeconds(60);
  private final Instant muchLater = later.plus(GRACE).plusSeconds(60);

  private Path root() {
    return tmp.getRoot().toPath().resolve("stable");
  }

  private DirectoryStore host() throws IOException {
    return DirectoryStore.openShared("stable", root());
  }

  private static void store(DirectoryStore store, CheckpointKey key, byte[] image) throws IOException {
    new CheckpointEngine(store, new FixedChunker(1)).store(key, new ByteArrayInputStream(image), Map.of());
  }

  private static byte[] restore(CheckpointKey key, CheckpointStore store) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CheckpointEngine.restore(key, store, out, null);
    return out.toByteArray();
  }

  private static List<String> chunks(DirectoryStore store, CheckpointKey key) throws IOException {
    return store.manifest(key).orElseThrow().chunks().stream().map(ChunkRef::hash).toList();
  }

  private List<Path> files(String dir) throws IOException {
    try (Stream<Path> files = Files.list(root().resolve(dir))) {
      return files.sorted().toList();
    }
  }

  @Test public void anUnnamedOldPackIsMovedAsideThenDeletedAGraceLater() throws IOException {
    DirectoryStore store = host();
    byte[] second = DirectoryStoreTest.randomImage(8, 2);
    store(store, FIRST, DirectoryStoreTest.randomImage(8, 1));
    store(store, SECOND, second);
    String gone = chunks(store, FIRST).get(0);
    store.deleteManifest(FIRST);
    long before = store.usedBytes();

    SharedStoreSweeper.Result moved = SharedStoreSweeper.sweep(store, GRACE, later).orElseThrow();
    assertEquals(new SharedStoreSweeper.Result(1, 0, 0, 0, 0), moved);
    assertEquals(1, files("fossils").size());
    assertFalse(store.hasChunk(gone));
    assertTrue(store.usedBytes() < before);
    assertArrayEquals(second, restore(SECOND, store));

    // Within the grace the fossil stays; a grace after it was moved aside, it goes.
    assertEquals(new SharedStoreSweeper.Result(0, 0, 0, 0, 0),
        SharedStoreSweeper.sweep(store, GRACE, later.plusSeconds(1)).orElseThrow());
    SharedStoreSweeper.Result purged = SharedStoreSweeper.sweep(store, GRACE, muchLater).orElseThrow();
    assertEquals(1, purged.fossilsDeleted());
    assertEquals(0, purged.fossilsRestored());
    assertTrue(purged.bytesReclaimed() > 8 * 4096);
    assertTrue(files("fossils").isEmpty());
    assertEquals(1, files("packs").size());
    assertArrayEquals(second, restore(SECOND, host()));
  }

  @Test public void aPackNamedAgainAfterItWasMovedAsideIsRenamedBackAndReadsWorkThroughout() throws IOException {
    DirectoryStore writer = host();
    byte[] image = DirectoryStoreTest.randomImage(8, 3);
    store(writer, FIRST, image);
    Manifest manifest = writer.manifest(FIRST).orElseThrow();
    Path pack = writer.locate(manifest.chunks().get(0).hash()).orElseThrow().pack();
    writer.deleteManifest(FIRST);
    DirectoryStore reader = host();  // another host, which indexed the pack before it moved

    assertEquals(1, SharedStoreSweeper.sweep(writer, GRACE, later).orElseThrow().packsFossilized());
    assertFalse(Files.exists(pack));
    // A flush that checked its chunks just before the rename writes its manifest just after it.
    writer.putManifest(manifest);
    assertArrayEquals("a reader whose pack vanished", image, restore(FIRST, reader));
    assertArrayEquals("a reader opened now", image, restore(FIRST, host()));

    SharedStoreSweeper.Result result = SharedStoreSweeper.sweep(writer, GRACE, muchLater).orElseThrow();
    assertEquals(new SharedStoreSweeper.Result(0, 0, 0, 1, 0), result);
    assertTrue("renamed back under its own name", Files.exists(pack));
    assertTrue(files("fossils").isEmpty());
    assertTrue(writer.hasChunk(manifest.chunks().get(0).hash()));
    assertArrayEquals(image, restore(FIRST, writer));
    assertArrayEquals(image, restore(FIRST, reader));
    assertArrayEquals(image, restore(FIRST, host()));
  }

  @Test public void aPackYoungerThanTheGraceIsNeverTouched() throws IOException {
    DirectoryStore store = host();
    store(store, FIRST, DirectoryStoreTest.randomImage(8, 4));
    store.deleteManifest(FIRST);  // as if another host had committed the pack and not written its manifest yet
    List<Path> packs = files("packs");

    assertEquals(new SharedStoreSweeper.Result(0, 0, 0, 0, 0),
        SharedStoreSweeper.sweep(store, GRACE).orElseThrow());  // timed by the file system
    assertEquals(new SharedStoreSweeper.Result(0, 0, 0, 0, 0),
        SharedStoreSweeper.sweep(store, GRACE, Instant.now()).orElseThrow());
    assertEquals(packs, files("packs"));
    assertTrue(files("fossils").isEmpty());
  }

  @Test public void aMostlyDeadPackIsRepackedAndAHostWithAStaleIndexStillReadsItsLiveChunks() throws IOException {
    DirectoryStore store = host();
    byte[] first = DirectoryStoreTest.randomImage(10, 5);
    byte[] second = DirectoryStoreTest.randomImage(10, 6);
    System.arraycopy(first, 0, second, 0, 2 * 4096);  // two of the first checkpoint's ten chunks stay named
    store(store, FIRST, first);
    store(store, SECOND, second);
    store.deleteManifest(FIRST);
    DirectoryStore other = host();  // indexed both packs before the sweep

    SharedStoreSweeper.Result result = SharedStoreSweeper.sweep(store, GRACE, later).orElseThrow();
    assertEquals(new SharedStoreSweeper.Result(1, 1, 0, 0, 0), result);
    assertEquals(2, files("packs").size());  // the second checkpoint's pack and the copy
    assertArrayEquals(second, restore(SECOND, other));
    assertArrayEquals(second, restore(SECOND, store));
    assertEquals(Set.of(), other.notStored(chunks(store, SECOND)));

    assertEquals(1, SharedStoreSweeper.sweep(store, GRACE, muchLater).orElseThrow().fossilsDeleted());
    assertArrayEquals(second, restore(SECOND, other));
    assertArrayEquals(second, restore(SECOND, host()));
  }

  @Test public void notStoredNamesTheChunksOfAPackAnotherHostMovedAside() throws IOException {
    DirectoryStore sweeper = host();
    store(sweeper, FIRST, DirectoryStoreTest.randomImage(4, 7));
    List<String> hashes = chunks(sweeper, FIRST);
    sweeper.deleteManifest(FIRST);
    DirectoryStore other = host();
    assertEquals(Set.of(), other.notStored(hashes));

    SharedStoreSweeper.sweep(sweeper, GRACE, later).orElseThrow();
    assertTrue("its index is stale", other.hasChunk(hashes.get(0)));
    assertEquals(new HashSet<>(hashes), other.notStored(hashes));
    assertFalse(other.hasChunk(hashes.get(0)));
  }

  /** Another process (another host) holds the lock: a sweep here returns at once, and sweeps once it is free. */
  @Test public void aSweepWhileAnotherProcessHoldsTheLockReturnsAtOnce() throws Exception {
    DirectoryStore store = host();
    Process other = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), LockHolderProcess.class.getName(),
        root().resolve(SharedStoreSweeper.LOCK_FILE).toString())
        .redirectErrorStream(true).start();
    try {
      BufferedReader said = new BufferedReader(new InputStreamReader(other.getInputStream(), StandardCharsets.UTF_8));
      assertEquals("locked", said.readLine());
      assertEquals(Optional.empty(), SharedStoreSweeper.sweep(store, GRACE));
      other.getOutputStream().close();  // lets it go
      assertEquals(0, other.waitFor());
    } finally {
      other.destroyForcibly();
    }
    assertTrue(SharedStoreSweeper.sweep(store, GRACE).isPresent());
  }

  @Test(expected = IllegalArgumentException.class)
  public void aHostPrivateStoreIsNotSwept() throws IOException {
    SharedStoreSweeper.sweep(DirectoryStore.open("staging", root()), GRACE);
  }
}
