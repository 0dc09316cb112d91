package org.vmqsc.agent.engine;

import static org.hamcrest.CoreMatchers.containsString;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThat;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.vmqsc.agent.engine.EngineCalls.restore;
import static org.vmqsc.agent.engine.EngineCalls.store;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.vmqsc.agent.store.CheckpointKey;
import org.vmqsc.agent.store.ChunkRef;
import org.vmqsc.agent.store.DirectoryStore;
import org.vmqsc.agent.store.GarbageCollector;

/** The per-VM index of known chunks: what it saves, and why it can never make a checkpoint restore wrong bytes. */
public class KnownChunksTest {

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static final CheckpointKey FIRST = new CheckpointKey("vm-1", "ck-1");
  private static final CheckpointKey SECOND = new CheckpointKey("vm-1", "ck-2");
  private static final int PAGES = 2048;
  private static final int REWRITTEN = 40;

  /** Every chunk gets the same fingerprint: the worst a broken or attacked fingerprint could do. */
  private static final Fingerprinter COLLIDING = (bytes, offset, length, out) -> {
    out[0] = 42;
    out[1] = 42;
  };

  private Path dir() {
    return tmp.getRoot().toPath().resolve("staging");
  }

  /** Each chunk's length and fingerprint (null for zeros), in image order. */
  private static java.util.List<String> cuts(org.vmqsc.agent.store.Manifest manifest) {
    return manifest.chunks().stream().map(ref -> ref.length() + ":" + ref.fingerprint()).toList();
  }

  /** A copy of {@code image} with {@link #REWRITTEN} of its pages rewritten. */
  private static byte[] rewritten(byte[] image) {
    byte[] copy = image.clone();
    Images.rewrite(copy, REWRITTEN, 2);
    return copy;
  }

  private static long nonZeroBytes(CheckpointStats stats) {
    return stats.imageBytes() - stats.zeroBytes();
  }

  @Test public void unchangedChunksAreNeitherHashedNorWrittenAndTheRestoreIsExact() throws IOException {
    byte[] first = Images.memory(PAGES, 1);
    byte[] second = rewritten(first);
    DirectoryStore store = DirectoryStore.open("staging", dir());
    // New chunks named by SHA-256 while the checkpoint is taken, as before staging keys
    CheckpointEngine engine = new CheckpointEngine(store, new FixedChunker(1)).stagingKeys(false);

    CheckpointStats full = store(engine, FIRST, first);
    assertEquals("a first checkpoint hashes every non-zero chunk", nonZeroBytes(full), full.sha256Bytes());
    CheckpointStats incremental = store(engine, SECOND, second);

    assertEquals("only the rewritten pages are new", REWRITTEN, incremental.newChunks());
    long rewrittenBytes = (long) REWRITTEN * Images.PAGE;
    long audited = incremental.sha256Bytes() - rewrittenBytes;
    assertTrue("rewritten pages plus an audit sample are hashed, not " + incremental.sha256Bytes(),
        audited >= 0 && audited < nonZeroBytes(incremental) / 8);
    assertArrayEquals(first, restore(FIRST, store));
    assertArrayEquals(second, restore(SECOND, store));
    assertTrue(store.manifest(SECOND).orElseThrow().chunks().stream()
        .allMatch(ref -> ref.isZero() == (ref.fingerprint() == null)));
  }

  @Test public void withStagingKeysNoChunkIsSha256HashedAndUnchangedOnesAreNotWrittenAgain() throws IOException {
    byte[] first = Images.memory(PAGES, 1);
    byte[] second = rewritten(first);
    DirectoryStore store = DirectoryStore.open("staging", dir());
    CheckpointEngine engine = new CheckpointEngine(store, new FixedChunker(1)).stagingKeys(true).readBackEvery(1);

    CheckpointStats full = store(engine, FIRST, first);
    assertEquals("a first checkpoint hashes nothing", 0, full.sha256Bytes());
    assertEquals(nonZeroBytes(full), full.stagedBytes() + full.dedupBytes());
    CheckpointStats incremental = store(engine, SECOND, second);

    assertEquals("only the rewritten pages are new", REWRITTEN, incremental.newChunks());
    assertEquals((long) REWRITTEN * Images.PAGE, incremental.stagedBytes());
    assertEquals("a first checkpoint reuses nothing, so reads nothing back", 0, full.readBackBytes());
    assertEquals("every reused staged copy was read back", incremental.dedupBytes(), incremental.readBackBytes());
    assertTrue(incremental.readBackNanos() > 0);
    assertEquals(0, incremental.sha256Bytes());
    assertArrayEquals(first, restore(FIRST, store));
    assertArrayEquals(second, restore(SECOND, store));
    assertTrue(store.manifest(SECOND).orElseThrow().chunks().stream().allMatch(ref -> ref.isZero() || ref.staged()));
  }

  @Test public void skippingTheChunkerWhereThePreviousCheckpointContinuesCutsExactlyWhereTheChunkerWould()
      throws IOException {
    byte[] first = Images.memory(PAGES, 12);
    byte[] shifted = new byte[first.length + 777];  // content moves, as in a migration stream
    System.arraycopy(first, 0, shifted, 0, first.length / 2);
    for (int i = 0; i < 777; i++) {
      shifted[first.length / 2 + i] = (byte) (i * 31 + 7);
    }
    System.arraycopy(first, first.length / 2, shifted, first.length / 2 + 777, first.length - first.length / 2);
    Images.rewrite(shifted, REWRITTEN, 14);
    DirectoryStore store = DirectoryStore.open("staging", dir());
    CheckpointEngine engine = new CheckpointEngine(store, new GearChunker(8192));
    store(engine, FIRST, first);

    CheckpointStats incremental = store(engine, SECOND, shifted);
    CheckpointKey fresh = new CheckpointKey("vm-2", "ck-1");  // no previous checkpoint: the chunker cuts everything
    store(engine, fresh, shifted);

    // The same cuts and contents; the names differ where they are staging keys, which are per VM
    assertEquals(cuts(store.manifest(fresh).orElseThrow()), cuts(store.manifest(SECOND).orElseThrow()));
    assertTrue("only chunks around the changes are hashed: " + incremental.sha256Bytes(),
        incremental.sha256Bytes() < nonZeroBytes(incremental) / 4);
    assertArrayEquals(shifted, restore(SECOND, store));
  }

  @Test public void theIndexSurvivesARestartBecauseItIsReadFromTheNewestManifest() throws IOException {
    byte[] first = Images.memory(PAGES, 3);
    byte[] second = first.clone();
    Images.rewrite(second, REWRITTEN, 4);
    byte[] third = second.clone();
    Images.rewrite(third, REWRITTEN, 5);
    new CheckpointEngine(DirectoryStore.open("staging", dir()), new GearChunker(8192))
        .store(FIRST, new ByteArrayInputStream(first), Map.of());
    new CheckpointEngine(DirectoryStore.open("staging", dir()), new GearChunker(8192))
        .store(SECOND, new ByteArrayInputStream(second), Map.of());

    DirectoryStore reopened = DirectoryStore.open("staging", dir());  // the agent restarted
    CheckpointStats stats = store(new CheckpointEngine(reopened, new GearChunker(8192)),
        new CheckpointKey("vm-1", "ck-3"), third);

    assertTrue("after a restart only what changed is hashed: " + stats.sha256Bytes() + " of " + nonZeroBytes(stats),
        stats.sha256Bytes() < nonZeroBytes(stats) / 4);
    assertArrayEquals(third, restore(new CheckpointKey("vm-1", "ck-3"), reopened));
    assertArrayEquals(second, restore(SECOND, reopened));
  }

  @Test public void anotherVmsChunksAreHashedEvenWhenTheFingerprintsCollide() throws IOException {
    byte[] mine = Images.memory(PAGES, 6);
    byte[] theirs = Images.memory(PAGES, 7);
    DirectoryStore store = DirectoryStore.open("staging", dir());
    CheckpointEngine engine = new CheckpointEngine(store, new FixedChunker(1), COLLIDING);
    store(engine, FIRST, mine);

    CheckpointKey other = new CheckpointKey("vm-2", "ck-1");
    CheckpointStats stats = store(engine, other, theirs);

    assertEquals("vm-2 cannot use vm-1's index", nonZeroBytes(stats), stats.sha256Bytes());
    assertArrayEquals(theirs, restore(other, store));
    assertArrayEquals(mine, restore(FIRST, store));
  }

  @Test public void collidingFingerprintsAreCaughtByTheAuditAndNoManifestIsWritten() throws IOException {
    byte[] first = Images.memory(PAGES, 8);
    byte[] second = Images.memory(PAGES, 9);  // every non-zero page differs
    DirectoryStore store = DirectoryStore.open("staging", dir());
    CheckpointEngine engine = new CheckpointEngine(store, new FixedChunker(1), COLLIDING);
    store(engine, FIRST, first);

    // Each of the ~1500 non-zero pages "matches" a chunk of the first checkpoint; one in 32 is audited, so the
    // chance that none is audited is below 1e-20.
    try {
      store(engine, SECOND, second);
      fail("a checkpoint whose fingerprints do not describe its bytes must not be written");
    } catch (CheckpointFailedException e) {
      assertThat(e.getMessage(), containsString("has the fingerprint of chunk"));
    }
    assertFalse(store.manifest(SECOND).isPresent());

    CheckpointStats retry = store(engine, SECOND, second);  // the VM now hashes every chunk
    assertEquals(nonZeroBytes(retry), retry.sha256Bytes());
    assertArrayEquals(second, restore(SECOND, store));
    assertArrayEquals(first, restore(FIRST, store));
  }

  @Test public void aChunkCollectedSinceThePreviousCheckpointIsStoredAgain() throws IOException {
    byte[] image = Images.memory(PAGES, 10);
    DirectoryStore store = DirectoryStore.open("staging", dir());
    CheckpointEngine engine = new CheckpointEngine(store, new FixedChunker(1));
    store(engine, FIRST, image);
    store.deleteManifest(FIRST);
    GarbageCollector.collect(store);  // the index in memory now names chunks the store no longer holds
    assertTrue(store.chunkHashes().isEmpty());

    CheckpointStats stats = store(engine, SECOND, image);

    assertEquals(nonZeroBytes(stats), stats.newChunkRawBytes());
    assertArrayEquals(image, restore(SECOND, store));
  }

  @Test public void manifestsWithoutFingerprintsStillLoadAndSimplyGiveNoIndex() throws IOException {
    byte[] image = Images.memory(64, 11);
    DirectoryStore store = DirectoryStore.open("staging", dir());
    store(new CheckpointEngine(store, new FixedChunker(1)).stagingKeys(false), FIRST, image);
    var manifest = store.manifest(FIRST).orElseThrow();
    var older = new org.vmqsc.agent.store.Manifest(manifest.format(), manifest.vmId(), "ck-0",
        manifest.createdAtMillis() + 1, manifest.imageBytes(), manifest.chunker(), manifest.attributes(),
        manifest.chunks().stream().map(ref -> new ChunkRef(ref.hash(), ref.length())).toList());
    store.putManifest(older);  // newest, as an agent before fingerprints would have written it

    CheckpointStats stats = store(new CheckpointEngine(DirectoryStore.open("staging", dir()), new FixedChunker(1))
        .stagingKeys(false), SECOND, image);

    assertEquals(nonZeroBytes(stats), stats.sha256Bytes());
    assertEquals(0, stats.newChunks());
    assertArrayEquals(image, restore(SECOND, store));
  }
}
