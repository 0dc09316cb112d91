package org.vmqsc.agent.flush;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.vmqsc.agent.engine.CheckpointEngine;
import org.vmqsc.agent.engine.FixedChunker;
import org.vmqsc.agent.log.DirectoryMessageStore;
import org.vmqsc.agent.log.LoggedMessage;
import org.vmqsc.agent.store.CheckpointKey;
import org.vmqsc.agent.store.DirectoryStore;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.Message;

/** Real stores on disk: what a line's collectable locations delete, what they leave, and what they wait for. */
public class StorageCollectorTest {

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private DirectoryStore staging;
  private DirectoryStore stable;
  private DirectoryMessageStore log;
  private CheckpointEngine engine;
  private LazyFlusher flusher;
  private final List<String> failures = new ArrayList<>();
  private StorageCollector collector;

  @Before public void stores() throws IOException {
    staging = DirectoryStore.open("staging", tmp.newFolder("host").toPath());
    stable = DirectoryStore.openShared("stable", tmp.newFolder("stable").toPath());
    log = DirectoryMessageStore.open(tmp.newFolder("logs").toPath());
    engine = new CheckpointEngine(staging, new FixedChunker(1));
    flusher = new LazyFlusher(staging, stable, BandwidthBudget.unlimited(), 50);  // flushed by hand, not started
    collector = new StorageCollector(staging, flusher, stable, log, StorageCollectorTest::checkpointOf, null,
        Duration.ZERO, new StorageCollector.Listener() {
          @Override public void collected(StorageCollector.Result result) {}

          @Override public void failed(String what, IOException error) {
            failures.add(what + ": " + error.getMessage());
          }
        });
  }

  /** Locations as "ckpt:vm/id"; anything else is not a checkpoint. */
  private static Optional<CheckpointKey> checkpointOf(String location) {
    if (!location.startsWith("ckpt:")) return Optional.empty();
    String[] parts = location.substring(5).split("/");
    return Optional.of(new CheckpointKey(parts[0], parts[1]));
  }

  private static String location(CheckpointKey key) {
    return "ckpt:" + key.vmId() + "/" + key.checkpointId();
  }

  /** Each checkpoint rewrites a quarter of the pages of the one before. */
  private byte[] checkpoint(CheckpointKey key, byte[] before, long seed) throws IOException {
    byte[] image = before == null ? new byte[64 * 4096] : before.clone();
    Random random = new Random(seed);
    for (int page = 0; page < 64; page++) {
      if (before == null || random.nextInt(4) == 0) {
        for (int i = 0; i < 4096; i += 8) image[page * 4096 + i] = (byte) random.nextInt();
      }
    }
    engine.store(key, new ByteArrayInputStream(image), Map.of());
    return image;
  }

  private static byte[] restore(CheckpointKey key, DirectoryStore from) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CheckpointEngine.restore(key, from, out, null);
    return out.toByteArray();
  }

  @Test public void checkpointsBehindTheLineLeaveBothStoresAndTheLineCheckpointStillRestores() throws Exception {
    List<CheckpointKey> keys = new ArrayList<>();
    byte[] image = null;
    for (int i = 0; i < 4; i++) {
      CheckpointKey key = new CheckpointKey("vm-1", "i" + i);
      image = checkpoint(key, image, i);
      flusher.flush(key);
      keys.add(key);
    }
    long stagingBefore = staging.usedBytes();

    StorageCollector.Result r = collector.collectNow(List.of(location(keys.get(0)), location(keys.get(1)),
        location(keys.get(2))));

    assertEquals(List.of(), failures);
    assertEquals(3, r.stagedManifests());
    assertEquals(3, r.stableManifests());
    assertEquals(0, r.waiting());
    assertEquals(List.of(keys.get(3)), staging.checkpoints());
    assertEquals(List.of(keys.get(3)), stable.checkpoints());
    assertTrue("chunks only older checkpoints named were deleted from staging", r.stagingChunks() > 0);
    assertTrue(staging.usedBytes() < stagingBefore);
    assertArrayEquals(image, restore(keys.get(3), staging));
    assertArrayEquals(image, restore(keys.get(3), stable));
  }

  @Test public void aCheckpointStillToBeFlushedWaitsForItsFlush() throws Exception {
    CheckpointKey old = new CheckpointKey("vm-1", "i0");
    CheckpointKey line = new CheckpointKey("vm-1", "i1");
    byte[] image = checkpoint(old, null, 0);
    checkpoint(line, image, 1);
    flusher.submit(old);  // queued: the flusher has not started

    StorageCollector.Result waiting = collector.collectNow(List.of(location(old)));
    assertEquals(1, waiting.waiting());
    assertTrue("still staged, to be flushed", staging.manifest(old).isPresent());

    flusher.start();
    assertTrue(flusher.awaitStable(old, 10_000));
    StorageCollector.Result done = collector.collectNow(List.of());
    for (long deadline = System.nanoTime() + 10_000_000_000L; done.waiting() > 0; ) {
      assertTrue("still waiting after its flush", System.nanoTime() < deadline);
      Thread.sleep(10);  // the flusher marks it done a moment after its manifest is visible
      done = collector.collectNow(List.of());
    }
    assertFalse(staging.manifest(old).isPresent());
    assertFalse("its stable copy, written after the line passed it, goes too", stable.manifest(old).isPresent());
    assertTrue(staging.manifest(line).isPresent());
    flusher.close();
  }

  @Test public void aStagedCheckpointWhoseStableCopyAnotherHostDeletedGoesToo() throws Exception {
    CheckpointKey old = new CheckpointKey("vm-1", "i0");
    checkpoint(old, null, 0);
    flusher.flush(old);
    stable.deleteManifest(old);  // another host, told the same, was first

    StorageCollector.Result r = collector.collectNow(List.of(location(old)));

    assertEquals(0, r.waiting());
    assertEquals(1, r.stagedManifests());
    assertEquals(0, r.stableManifests());
    assertFalse(staging.manifest(old).isPresent());
  }

  @Test public void anotherHostsCheckpointAndLogRecordsGoFromStableStorage() throws Exception {
    // Written by "another host": staged in a store this host does not have, flushed to the stable store.
    DirectoryStore elsewhere = DirectoryStore.open("other", tmp.newFolder("other").toPath());
    CheckpointKey theirs = new CheckpointKey("vm-2", "i0");
    new CheckpointEngine(elsewhere, new FixedChunker(1)).store(theirs, new ByteArrayInputStream(new byte[8192]),
        Map.of());
    new LazyFlusher(elsewhere, stable, BandwidthBudget.unlimited(), 50).flush(theirs);
    Message m = new Message(0, 1, 7, 4, 0, 3, 0x77L);
    String record = log.writeInTransit("group-1", new LoggedMessage(new LogEntry(m, 7, 700, 5, 0), new byte[3]));

    StorageCollector.Result r = collector.collectNow(List.of(location(theirs), record));

    assertEquals(List.of(), failures);
    assertEquals(1, r.stableManifests());
    assertEquals(0, r.stagedManifests());
    assertEquals(1, r.logRecords());
    assertFalse(stable.manifest(theirs).isPresent());
    assertTrue("what this host's own store holds is untouched", elsewhere.manifest(theirs).isPresent());
    try {
      log.read(record);
      fail("the log record is still there");
    } catch (NoSuchFileException expected) {
      // deleted
    }
    // Deleting again (another host told the same) is no error.
    assertEquals(0, collector.collectNow(List.of(location(theirs), record)).waiting());
    assertEquals(List.of(), failures);
  }

  @Test public void reconcilingDeletesOldLeftoversButNothingNamedYoungOrWaitingForItsFlush() throws Exception {
    CheckpointKey named = new CheckpointKey("vm-1", "i0");
    CheckpointKey leftover = new CheckpointKey("vm-1", "i1");
    CheckpointKey young = new CheckpointKey("vm-1", "i2");
    CheckpointKey unflushed = new CheckpointKey("vm-1", "i3");
    byte[] image = checkpoint(named, null, 0);
    image = checkpoint(leftover, image, 1);
    image = checkpoint(young, image, 2);
    checkpoint(unflushed, image, 3);
    for (CheckpointKey k : List.of(named, leftover, young)) flusher.flush(k);
    Message m = new Message(0, 1, 7, 4, 0, 3, 0x77L);
    String oldRecord = log.writeInTransit("group-1", new LoggedMessage(new LogEntry(m, 7, 700, 5, 0), new byte[3]));
    java.nio.file.attribute.FileTime hourAgo = java.nio.file.attribute.FileTime.from(
        java.time.Instant.now().minus(Duration.ofHours(1)));
    for (CheckpointKey k : List.of(named, leftover, unflushed)) {
      java.nio.file.Files.setLastModifiedTime(manifestFile(staging, k), hourAgo);
      if (k != unflushed) java.nio.file.Files.setLastModifiedTime(manifestFile(stable, k), hourAgo);
    }
    java.nio.file.Files.setLastModifiedTime(log.root().resolve(oldRecord), hourAgo);

    StorageCollector.Result r = collector.reconcileNow(java.util.Set.of(location(named)), Duration.ofMinutes(10));

    assertEquals(List.of(), failures);
    assertEquals("the old leftover goes from stable storage", 1, r.stableManifests());
    assertEquals("and from staging, since stable storage had it", 1, r.stagedManifests());
    assertEquals(1, r.logRecords());
    assertEquals(List.of(named, young), stable.checkpoints());
    assertEquals("an old staged checkpoint stable storage lacks may wait for its flush: it stays",
        List.of(named, young, unflushed), staging.checkpoints());
    assertArrayEquals(restore(named, stable), restore(named, staging));
  }

  private static java.nio.file.Path manifestFile(DirectoryStore store, CheckpointKey key) {
    return store.root().resolve("manifests").resolve(key.vmId()).resolve(key.checkpointId());
  }

  @Test public void aLocationThatNamesNothingKnownIsReportedAndTheRestIsDeleted() throws Exception {
    CheckpointKey old = new CheckpointKey("vm-1", "i0");
    checkpoint(old, null, 0);
    flusher.flush(old);

    StorageCollector.Result r = collector.collectNow(List.of("somewhere/else", location(old)));

    assertEquals(1, failures.size());
    assertTrue(failures.get(0), failures.get(0).contains("somewhere/else"));
    assertEquals(1, r.stableManifests());
    assertEquals("a location no store understands is not retried forever", 0, r.waiting());
  }
}
