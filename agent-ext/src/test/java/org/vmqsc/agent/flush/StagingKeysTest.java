package org.vmqsc.agent.flush;

import static org.hamcrest.CoreMatchers.containsString;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThat;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.vmqsc.agent.engine.EngineCalls.restore;
import static org.vmqsc.agent.engine.EngineCalls.store;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.vmqsc.agent.engine.CheckpointEngine;
import org.vmqsc.agent.engine.CheckpointFailedException;
import org.vmqsc.agent.engine.CheckpointStats;
import org.vmqsc.agent.engine.CraftedCollisions;
import org.vmqsc.agent.engine.Fingerprinter;
import org.vmqsc.agent.engine.FixedChunker;
import org.vmqsc.agent.engine.GearChunker;
import org.vmqsc.agent.engine.RestoreRefusedException;
import org.vmqsc.agent.store.CheckpointKey;
import org.vmqsc.agent.store.ChunkHasher;
import org.vmqsc.agent.store.ChunkRef;
import org.vmqsc.agent.store.Damage;
import org.vmqsc.agent.store.DirectoryStore;
import org.vmqsc.agent.store.GarbageCollector;
import org.vmqsc.agent.store.Manifest;
import org.vmqsc.agent.store.StagingKeys;

/**
 * Chunks a checkpoint names by staging key, not SHA-256: how they restore from the host's staging store, how the
 * flush gives them their SHA-256 names on stable storage, and that a staging key never reaches another VM, stable
 * storage, or a damaged chunk's bytes into a restore.
 */
public class StagingKeysTest {

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static final int PAGE = 4096;
  private static final CheckpointKey FIRST = new CheckpointKey("vm-1", "ck-1");
  private static final CheckpointKey SECOND = new CheckpointKey("vm-1", "ck-2");

  /** Random pages, a quarter of them zero, and every eighth page text-like (compressible). */
  private static byte[] image(int pages, long seed) {
    Random random = new Random(seed);
    byte[] image = new byte[pages * PAGE];
    byte[] page = new byte[PAGE];
    for (int p = 0; p < pages; p++) {
      if (p % 4 == 3) {
        continue;
      }
      random.nextBytes(page);
      if (p % 8 == 1) {
        for (int i = 0; i < PAGE; i++) {
          page[i] = (byte) ('a' + (page[i] & 7));
        }
      }
      System.arraycopy(page, 0, image, p * PAGE, PAGE);
    }
    return image;
  }

  private static void rewrite(byte[] image, int pages, long seed) {
    Random random = new Random(seed);
    byte[] page = new byte[PAGE];
    int total = image.length / PAGE;
    for (int i = 0; i < pages; i++) {
      random.nextBytes(page);
      System.arraycopy(page, 0, image, (int) ((long) i * total / pages) * PAGE, PAGE);
    }
  }

  private DirectoryStore staging() throws IOException {
    return DirectoryStore.open("staging", tmp.getRoot().toPath().resolve("host"));
  }

  private DirectoryStore stable() throws IOException {
    return DirectoryStore.openShared("stable", tmp.getRoot().toPath().resolve("secondary"));
  }

  private static LazyFlusher flusher(DirectoryStore staging, DirectoryStore stable) {
    return new LazyFlusher(staging, stable, BandwidthBudget.unlimited(), 50);
  }

  private static LazyFlusher flusher(DirectoryStore staging, DirectoryStore stable, Fingerprinter fingerprinter) {
    return new LazyFlusher(staging, stable, BandwidthBudget.unlimited(), 50, fingerprinter);
  }

  /** XXH3-128 that counts the chunks it fingerprints: in a flush, the staged chunks it read, checked and hashed. */
  private static final class Counting implements Fingerprinter {
    private final Fingerprinter xxh3 = Fingerprinter.xxh3();
    final AtomicInteger chunks = new AtomicInteger();

    @Override public void fingerprint(byte[] bytes, int offset, int length, long[] out) {
      chunks.incrementAndGet();
      xxh3.fingerprint(bytes, offset, length, out);
    }
  }

  private static Set<String> stagedKeys(Manifest manifest) {
    return manifest.chunks().stream().filter(ChunkRef::staged).map(ChunkRef::hash).collect(Collectors.toSet());
  }

  private static long packs(DirectoryStore store) throws IOException {
    try (Stream<Path> files = Files.list(store.root().resolve("packs"))) {
      return files.count();
    }
  }

  /** Every entry of a stable manifest names its chunk by the SHA-256 of the image's bytes at its place. */
  private static void assertNamedBySha256(Manifest manifest, byte[] image) {
    ChunkHasher hasher = new ChunkHasher();
    int at = 0;
    for (ChunkRef ref : manifest.chunks()) {
      if (!ref.isZero()) {
        assertFalse("a staging key on stable storage: " + ref, ref.staged());
        assertEquals("the SHA-256 of the bytes at " + at, hasher.hash(image, at, ref.length()), ref.hash());
      }
      at += ref.length();
    }
    assertEquals(image.length, at);
  }

  private static Set<String> names(Manifest manifest) {
    return manifest.chunks().stream().filter(ref -> !ref.isZero()).map(ChunkRef::hash).collect(Collectors.toSet());
  }

  @Test public void theEnginesCheckOfAKeyWithoutMakingItAgreesWithTheKeyItself() {
    Random random = new Random(7);
    String prefix = StagingKeys.prefix("vm-1");
    String otherPrefix = StagingKeys.prefix("vm-2");
    for (int i = 0; i < 1000; i++) {
      long low = random.nextLong();
      long high = i % 10 == 0 ? low : random.nextLong();
      String key = StagingKeys.key(prefix, String.format("%016x%016x", low, high));
      assertTrue(key, StagingKeys.isKey(key, prefix, low, high));
      assertFalse(StagingKeys.isKey(key, otherPrefix, low, high));
      assertFalse(StagingKeys.isKey(key, prefix, high ^ 1, high));
      assertFalse(StagingKeys.isKey(key, prefix, low, high ^ (1L << 63)));
      assertFalse(StagingKeys.isKey(key.substring(0, 63), prefix, low, high));
      int at = 32 + random.nextInt(32);  // one digit of the fingerprint changed, or written in upper case
      char digit = key.charAt(at);
      char other = Character.isLetter(digit) ? Character.toUpperCase(digit) : (char) ('0' + (digit - '0' + 1) % 10);
      assertFalse(StagingKeys.isKey(key.substring(0, at) + other + key.substring(at + 1), prefix, low, high));
    }
  }

  @Test public void aFirstCheckpointHashesNothingAndRestoresFromStagingThenFromStableStorage() throws Exception {
    byte[] image = image(512, 1);
    DirectoryStore staging = staging();
    DirectoryStore stable = stable();
    CheckpointStats stats = store(new CheckpointEngine(staging, new FixedChunker(1)), FIRST, image);

    assertEquals(0, stats.sha256Bytes());
    assertEquals(stats.imageBytes() - stats.zeroBytes(), stats.stagedBytes());
    Manifest staged = staging.manifest(FIRST).orElseThrow();
    assertTrue(staged.chunks().stream().allMatch(ref -> ref.isZero() || ref.staged()));
    assertTrue(staged.chunks().stream().filter(ChunkRef::staged)
        .allMatch(ref -> ref.hash().equals(StagingKeys.key(StagingKeys.prefix("vm-1"), ref.fingerprint()))));
    assertArrayEquals(image, restore(FIRST, staging));

    try (LazyFlusher flusher = flusher(staging, stable)) {
      flusher.flush(FIRST);
    }
    assertNamedBySha256(stable.manifest(FIRST).orElseThrow(), image);
    assertArrayEquals(image, restore(FIRST, stable()));  // a store other hosts write: checked by SHA-256
    assertArrayEquals("the staged copy is left as it was", image, restore(FIRST, staging));
  }

  @Test public void incrementalCheckpointsReuseStagedChunksAndEveryFlushNamesThemBySha256() throws Exception {
    byte[] first = image(512, 2);
    byte[] second = first.clone();
    rewrite(second, 20, 3);
    byte[] third = second.clone();
    rewrite(third, 20, 4);
    DirectoryStore staging = staging();
    DirectoryStore stable = stable();
    CheckpointEngine engine = new CheckpointEngine(staging, new GearChunker(8192));
    CheckpointKey thirdKey = new CheckpointKey("vm-1", "ck-3");
    Counting reads = new Counting();
    try (LazyFlusher flusher = flusher(staging, stable, reads)) {
      store(engine, FIRST, first);
      flusher.flush(FIRST);
      assertEquals(stagedKeys(staging.manifest(FIRST).orElseThrow()).size(), reads.chunks.get());
      CheckpointStats incremental = store(engine, SECOND, second);
      assertEquals(0, incremental.sha256Bytes());
      assertTrue("most of the image is reused: " + incremental, incremental.dedupBytes() > first.length / 2);
      reads.chunks.set(0);
      flusher.flush(SECOND);
      // Only the chunks new since FIRST are read and hashed: the names of those reused from FIRST's stored copies
      // were learnt when FIRST was flushed.
      Set<String> added = stagedKeys(staging.manifest(SECOND).orElseThrow());
      added.removeAll(stagedKeys(staging.manifest(FIRST).orElseThrow()));
      assertTrue(added.size() > 0);
      assertEquals(added.size(), reads.chunks.get());
      store(engine, thirdKey, third);
      flusher.flush(thirdKey);
    }
    assertNamedBySha256(stable.manifest(FIRST).orElseThrow(), first);
    assertNamedBySha256(stable.manifest(SECOND).orElseThrow(), second);
    assertNamedBySha256(stable.manifest(thirdKey).orElseThrow(), third);
    assertArrayEquals(second, restore(SECOND, stable()));
    assertArrayEquals(third, restore(thirdKey, stable()));
    assertArrayEquals(third, restore(thirdKey, staging));
  }

  @Test public void aCorruptStagedChunkIsRefusedByTheFlushAndByTheRestoreAndNothingIsLost() throws Exception {
    byte[] image = image(256, 5);
    DirectoryStore staging = staging();
    DirectoryStore stable = stable();
    store(new CheckpointEngine(staging, new FixedChunker(1)), FIRST, image);
    ChunkRef victim = staging.manifest(FIRST).orElseThrow().chunks().stream().filter(ChunkRef::staged).skip(5)
        .findFirst().orElseThrow();
    Damage.flipBit(staging, victim.hash(), 0);

    try (LazyFlusher flusher = flusher(staging, stable)) {
      flusher.flush(FIRST);
      fail("a staged chunk that does not match its fingerprint must not reach stable storage");
    } catch (IOException e) {
      assertThat(e.getMessage(), containsString(FIRST.toString()));
      assertThat(e.getMessage(), containsString(victim.hash()));
      assertThat(e.getMessage(), containsString("fingerprint"));
    }
    assertFalse(stable.manifest(FIRST).isPresent());
    assertTrue("no chunk of the failed flush was committed", stable.chunkHashes().isEmpty());

    try {
      restore(FIRST, staging);
      fail("a staged chunk that does not match its fingerprint must not be restored");
    } catch (RestoreRefusedException e) {
      assertThat(e.getMessage(), containsString(FIRST.toString()));
      assertThat(e.getMessage(), containsString(victim.hash()));
    }
    assertTrue("the staged checkpoint stays", staging.manifest(FIRST).isPresent());
  }

  @Test public void twoVmsWithTheSameMemoryShareNoStagedChunkButShareTheirStableChunks() throws Exception {
    byte[] image = image(256, 6);
    CheckpointKey other = new CheckpointKey("vm-2", "ck-1");
    DirectoryStore staging = staging();
    DirectoryStore stable = stable();
    CheckpointEngine engine = new CheckpointEngine(staging, new FixedChunker(1));
    store(engine, FIRST, image);
    CheckpointStats theirs = store(engine, other, image);

    assertEquals("vm-2 stores its own copies in staging", 0, theirs.dedupBytes());
    Set<String> mine = names(staging.manifest(FIRST).orElseThrow());
    Set<String> its = names(staging.manifest(other).orElseThrow());
    Set<String> shared = new HashSet<>(mine);
    shared.retainAll(its);
    assertTrue("staged names shared between VMs: " + shared, shared.isEmpty());

    try (LazyFlusher flusher = flusher(staging, stable)) {
      flusher.flush(FIRST);
      flusher.flush(other);
    }
    assertEquals(stable.manifest(FIRST).orElseThrow().chunks(), stable.manifest(other).orElseThrow().chunks());
    assertEquals("one stable copy of each chunk", mine.size(), stable.chunkHashes().size());
    assertArrayEquals(image, restore(other, stable()));
  }

  @Test public void aKeyTheImageHoldsTwiceIsNamedBySha256TheSecondTime() throws Exception {
    byte[] image = image(64, 7);
    System.arraycopy(image, 0, image, 8 * PAGE, PAGE);  // page 8 is page 0 again
    DirectoryStore staging = staging();
    DirectoryStore stable = stable();
    CheckpointStats stats = store(new CheckpointEngine(staging, new FixedChunker(1)), FIRST, image);

    List<ChunkRef> chunks = staging.manifest(FIRST).orElseThrow().chunks();
    assertTrue(chunks.get(0).staged());
    assertFalse(chunks.get(8).staged());
    assertEquals(chunks.get(0).fingerprint(), chunks.get(8).fingerprint());
    assertEquals(PAGE, stats.sha256Bytes());
    assertArrayEquals(image, restore(FIRST, staging));
    try (LazyFlusher flusher = flusher(staging, stable)) {
      flusher.flush(FIRST);
    }
    assertNamedBySha256(stable.manifest(FIRST).orElseThrow(), image);
    assertArrayEquals(image, restore(FIRST, stable()));
  }

  @Test public void afterTheStagedCopyIsCollectedTheNextCheckpointStoresItsChunksAgain() throws Exception {
    byte[] image = image(256, 8);
    DirectoryStore staging = staging();
    DirectoryStore stable = stable();
    CheckpointEngine engine = new CheckpointEngine(staging, new FixedChunker(1));
    Counting reads = new Counting();
    try (LazyFlusher flusher = flusher(staging, stable, reads)) {
      store(engine, FIRST, image);
      flusher.flush(FIRST);
      staging.deleteManifest(FIRST);  // collected behind the line once stable
      GarbageCollector.collect(staging);
      assertTrue("no manifest names the staged chunks any more", staging.chunkHashes().isEmpty());

      CheckpointStats stats = store(engine, SECOND, image);  // the index in memory still names FIRST's keys
      assertEquals(stats.imageBytes() - stats.zeroBytes(), stats.newChunkRawBytes());
      assertArrayEquals(image, restore(SECOND, staging));
      Set<String> stableChunks = stable.chunkHashes();
      long stablePacks = packs(stable);
      reads.chunks.set(0);
      // The names learnt from FIRST were computed from copies that are gone: each key's new copy is read, checked
      // and hashed again; the stable store holds those names already, so nothing is copied.
      flusher.flush(SECOND);
      assertEquals(stagedKeys(staging.manifest(SECOND).orElseThrow()).size(), reads.chunks.get());
      assertEquals(stableChunks, stable.chunkHashes());
      assertEquals(stablePacks, packs(stable));
    }
    assertEquals(names(stable.manifest(FIRST).orElseThrow()), names(stable.manifest(SECOND).orElseThrow()));
    assertArrayEquals(image, restore(SECOND, stable()));

    stable.deleteManifest(FIRST);
    stable.deleteManifest(SECOND);
    staging.deleteManifest(SECOND);
    GarbageCollector.collect(staging);
    assertTrue(staging.chunkHashes().isEmpty());
  }

  @Test public void anAgentRestartContinuesFromTheStagedManifests() throws Exception {
    byte[] first = image(256, 9);
    byte[] second = first.clone();
    rewrite(second, 10, 10);
    store(new CheckpointEngine(staging(), new FixedChunker(1)), FIRST, first);

    DirectoryStore reopened = staging();  // the agent restarted: the store is opened anew, nothing collected
    assertEquals(0, reopened.openReport().unreferencedChunksRemoved());
    CheckpointStats stats = store(new CheckpointEngine(reopened, new FixedChunker(1)), SECOND, second);
    assertEquals(10L * PAGE, stats.newChunkRawBytes());
    assertEquals(0, stats.sha256Bytes());
    DirectoryStore stable = stable();
    try (LazyFlusher flusher = flusher(reopened, stable)) {
      flusher.flush(FIRST);
      flusher.flush(SECOND);
    }
    assertNamedBySha256(stable.manifest(SECOND).orElseThrow(), second);
    assertArrayEquals(first, restore(FIRST, staging()));
    assertArrayEquals(second, restore(SECOND, stable()));
  }

  @Test public void stagingKeysNeverEnterAStoreOtherHostsWrite() throws Exception {
    byte[] image = image(64, 11);
    Path host = tmp.getRoot().toPath().resolve("host");
    DirectoryStore staging = staging();
    store(new CheckpointEngine(staging, new FixedChunker(1)), FIRST, image);
    Manifest staged = staging.manifest(FIRST).orElseThrow();

    try {
      stable().putManifest(staged);
      fail("a shared store must refuse a manifest with staging keys");
    } catch (IllegalArgumentException e) {
      assertThat(e.getMessage(), containsString("staging key"));
    }
    // The engine itself names new chunks by SHA-256 in a store other hosts write
    CheckpointStats direct = store(new CheckpointEngine(stable(), new FixedChunker(1)), FIRST, image);
    assertEquals(0, direct.stagedBytes());
    assertNamedBySha256(stable().manifest(FIRST).orElseThrow(), image);

    // A copy of the staging directory opened as a shared store: its staged chunks are refused on restore
    Path copy = tmp.getRoot().toPath().resolve("copy");
    try (Stream<Path> files = Files.walk(host)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        Path target = copy.resolve(host.relativize(file).toString());
        if (Files.isDirectory(file)) {
          Files.createDirectories(target);
        } else {
          Files.copy(file, target);
        }
      }
    }
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      CheckpointEngine.restore(FIRST, DirectoryStore.openShared("copy", copy), out, null);
      fail("a staging key must not be trusted in a store other hosts write");
    } catch (RestoreRefusedException e) {
      assertThat(e.getMessage(), containsString("staging key"));
    }
  }

  @Test public void turnedOffNewChunksAreNamedBySha256AsBefore() throws Exception {
    byte[] image = image(64, 12);
    DirectoryStore staging = staging();
    CheckpointStats stats = store(new CheckpointEngine(staging, new FixedChunker(1)).stagingKeys(false), FIRST,
        image);
    assertEquals(stats.imageBytes() - stats.zeroBytes(), stats.sha256Bytes());
    assertNamedBySha256(staging.manifest(FIRST).orElseThrow(), image);
    // A later checkpoint with staging keys on reuses them under their SHA-256 names
    CheckpointStats again = store(new CheckpointEngine(staging, new FixedChunker(1)), SECOND, image);
    assertEquals(0, again.newChunks());
    assertNamedBySha256(staging.manifest(SECOND).orElseThrow(), image);
    assertArrayEquals(image, restore(SECOND, staging));
  }

  /** {@code page} of {@code image} with its bytes from 64 on rewritten: the same fingerprint for FIRST_BYTES. */
  private static byte[] collidingAt(byte[] image, int page, long seed) {
    byte[] other = image.clone();
    byte[] tail = new byte[PAGE - 64];
    new Random(seed).nextBytes(tail);
    System.arraycopy(tail, 0, other, page * PAGE + 64, tail.length);
    return other;
  }

  @Test public void aNameLearntFromACollectedCopyIsNotGivenToOtherBytesStoredUnderItsKeyAgain() throws Exception {
    byte[] first = image(16, 13);
    byte[] second = collidingAt(first, 0, 14);  // page 0: other bytes, the same (crafted) fingerprint and length
    DirectoryStore staging = staging();
    DirectoryStore stable = stable();
    CheckpointEngine engine = CraftedCollisions.stagingEngine(staging, new FixedChunker(1),
        CraftedCollisions.FIRST_BYTES);
    try (LazyFlusher flusher = flusher(staging, stable, CraftedCollisions.FIRST_BYTES)) {
      store(engine, FIRST, first);
      flusher.flush(FIRST);  // learns page 0's key → SHA-256 of first's page 0
      staging.deleteManifest(FIRST);
      GarbageCollector.collect(staging);
      assertTrue(staging.chunkHashes().isEmpty());

      store(engine, SECOND, second);  // the index still names the key, the store no longer has it: stored anew
      ChunkRef again = staging.manifest(SECOND).orElseThrow().chunks().get(0);
      assertTrue(again.staged());
      assertEquals("the same staging key, other bytes", stable.manifest(FIRST).orElseThrow().chunks().get(0)
          .fingerprint(), again.fingerprint());
      assertTrue(staging.hasChunk(again.hash()));
      flusher.flush(SECOND);
    }
    assertNamedBySha256(stable.manifest(SECOND).orElseThrow(), second);
    assertArrayEquals("the bytes checkpointed, not those the key named before", second, restore(SECOND, stable()));
    assertArrayEquals(first, restore(FIRST, stable()));
  }

  @Test public void anIntactCopyOfAnotherLengthUnderTheKeyFailsTheCheckpointAndIsKept() throws Exception {
    byte[] random = image(1, 15);  // stored raw
    byte[] text = image(2, 16);  // page 1: text-like, stored LZ4-compressed
    DirectoryStore staging = staging();
    DirectoryStore stable = stable();
    CheckpointEngine engine = CraftedCollisions.stagingEngine(staging, new FixedChunker(1),
        CraftedCollisions.FIRST_BYTES);
    int vm = 0;
    for (byte[] page : List.of(random, java.util.Arrays.copyOfRange(text, PAGE, 2 * PAGE))) {
      vm++;
      CheckpointKey first = new CheckpointKey("vm-" + vm, "ck-1");
      CheckpointKey second = new CheckpointKey("vm-" + vm, "ck-2");
      store(engine, first, page);
      String key = staging.manifest(first).orElseThrow().chunks().get(0).hash();
      byte[] shorter = java.util.Arrays.copyOf(page, PAGE / 2);  // the same first bytes: the same fingerprint
      try {
        store(engine, second, shorter);
        fail("bytes of another length with the fingerprint of a staged chunk must fail the checkpoint");
      } catch (CheckpointFailedException e) {
        assertThat(e.getMessage(), containsString(key));
        assertThat(e.getMessage(), containsString("other bytes"));
      }
      assertFalse(staging.manifest(second).isPresent());
      assertTrue("the staged copy is intact and kept", staging.hasChunk(key));
      // The VM's checkpoints now hash every chunk, and the earlier one still flushes and restores
      CheckpointStats after = store(engine, second, shorter);
      assertEquals(0, after.stagedBytes());
      try (LazyFlusher flusher = flusher(staging, stable, CraftedCollisions.FIRST_BYTES)) {
        flusher.flush(first);
        flusher.flush(second);
      }
      assertArrayEquals(page, restore(first, stable()));
      assertArrayEquals(shorter, restore(second, stable()));
    }
  }

  @Test public void aCraftedCollisionOfTheSameLengthIsCaughtByTheSampledComparison() throws Exception {
    // Reused staged copies are checked by their checksum and one in 32 is compared with the memory: over 1024
    // colliding pages, one at least is compared (all pass unseen with probability (31/32)^1024, about 1e-14).
    byte[] first = image(1024, 17);
    byte[] second = first.clone();
    for (int page = 0; page < 1024; page++) {
      if (page % 4 != 3) {  // not the zero pages: other bytes after the first 64, the same (crafted) fingerprint
        System.arraycopy(collidingAt(first, page, 1000 + page), page * PAGE, second, page * PAGE, PAGE);
      }
    }
    DirectoryStore staging = staging();
    CheckpointEngine engine = CraftedCollisions.stagingEngine(staging, new FixedChunker(1),
        CraftedCollisions.FIRST_BYTES);
    store(engine, FIRST, first);
    try {
      store(engine, SECOND, second);
      fail("pages with the fingerprints of staged chunks and other bytes must fail the checkpoint");
    } catch (CheckpointFailedException e) {
      assertThat(e.getMessage(), containsString("other bytes"));
    }
    assertFalse(staging.manifest(SECOND).isPresent());
    CheckpointStats after = store(engine, SECOND, second);  // the VM's checkpoints now SHA-256-hash every chunk
    assertEquals(0, after.stagedBytes());
    try (LazyFlusher flusher = flusher(staging, stable(), CraftedCollisions.FIRST_BYTES)) {
      flusher.flush(FIRST);
      flusher.flush(SECOND);
    }
    assertArrayEquals(first, restore(FIRST, stable()));
    assertArrayEquals("the bytes checkpointed, not those of the colliding staged copies", second,
        restore(SECOND, stable()));
  }

  @Test public void learntNamesTakeRoomForTheStagedEntriesOnlyAndTheCapCountsWhatIsAllocated() throws Exception {
    byte[] image = image(256, 17);  // a quarter of it zero pages, which learn nothing
    byte[] other = image(128, 18);
    CheckpointKey theirs = new CheckpointKey("vm-2", "ck-1");
    DirectoryStore staging = staging();
    DirectoryStore stable = stable();
    CheckpointEngine engine = new CheckpointEngine(staging, new FixedChunker(1));
    store(engine, FIRST, image);
    store(engine, theirs, other);
    int mine = stagedKeys(staging.manifest(FIRST).orElseThrow()).size();
    int its = stagedKeys(staging.manifest(theirs).orElseThrow()).size();
    assertTrue(mine < staging.manifest(FIRST).orElseThrow().chunks().size());
    try (LazyFlusher flusher = flusher(staging, stable)) {
      flusher.flush(FIRST);
      assertEquals(mine, flusher.learntEntries());
      flusher.maxLearnt(mine + its - 1);
      flusher.flush(theirs);
      assertEquals("vm-1, flushed longest ago, is forgotten", its, flusher.learntEntries());
    }
  }
}
