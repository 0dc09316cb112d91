package org.vmqsc.agent.engine;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.vmqsc.agent.engine.EngineCalls.restore;
import static org.vmqsc.agent.engine.EngineCalls.store;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.vmqsc.agent.store.CheckpointKey;
import org.vmqsc.agent.store.ChunkReader;
import org.vmqsc.agent.store.ChunkRef;
import org.vmqsc.agent.store.Damage;
import org.vmqsc.agent.store.DirectoryStore;
import org.vmqsc.agent.store.Manifest;
import org.vmqsc.agent.store.MissingChunkException;

/**
 * Reused chunks' stored copies read back in turns ({@link CheckpointEngine#readBackEvery}): a copy damaged after it
 * was written or read back is found, dropped and written afresh within that many of its VM's checkpoints, whatever
 * the memory does meanwhile; and a checkpoint reads back only its share of the copies.
 */
public class ReadBackTurnsTest {

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static final int PAGE = Images.PAGE;

  @Test public void aDamagedCopyIsFoundAndWrittenAfreshWithinReadBackEveryCheckpoints() throws IOException {
    for (int seed = 0; seed < 30; seed++) {
      Random random = new Random(seed);
      int every = 1 + random.nextInt(5);
      int regionPages = 1 + random.nextInt(8);
      int pages = 48 + random.nextInt(48);
      String run = "seed " + seed + ", every " + every + ", regions of " + regionPages + " pages";
      DirectoryStore store = DirectoryStore.open("staging", tmp.newFolder().toPath());
      CheckpointEngine engine = new CheckpointEngine(store, new FixedChunker(1)).readBackEvery(every)
          .readBackRegionBytes((long) regionPages * PAGE);
      List<byte[]> images = new ArrayList<>();
      byte[] image = Images.memory(pages, seed);
      byte[] victim = null;
      int warmUp = random.nextInt(7);
      for (int n = 0; ; n++) {
        if (n > 0) {
          image = changed(image, random, victim);
        }
        store(engine, key(n), image);
        images.add(image);
        if (n == warmUp) {  // damage a copy this checkpoint names, whose content the memory keeps
          int page = nonZeroPage(image, random);
          victim = Arrays.copyOfRange(image, page * PAGE, (page + 1) * PAGE);
          String name = entryAt(store.manifest(key(n)).orElseThrow(), (long) page * PAGE).hash();
          Damage.flipBit(store, name, 0);
          assertFalse(run, intact(store, name));
          continue;
        }
        if (n > warmUp) {
          int page = pageHolding(image, victim);
          String name = entryAt(store.manifest(key(n)).orElseThrow(), (long) page * PAGE).hash();
          if (intact(store, name)) {
            break;  // found and written afresh: every checkpoint that names it restores again
          }
          assertTrue(run + ": the damaged copy was still reused " + (n - warmUp) + " checkpoints later",
              n - warmUp < every);
        }
      }
      for (int n = 0; n < images.size(); n++) {
        assertArrayEquals(run + ", checkpoint " + n, images.get(n), restore(key(n), store));
      }
    }
  }

  @Test public void contentThatMovesOutOfItsRegionsTurnIsReadBackAllTheSame() throws IOException {
    int every = 4;
    DirectoryStore store = DirectoryStore.open("staging", tmp.newFolder().toPath());
    CheckpointEngine engine = new CheckpointEngine(store, new FixedChunker(1)).readBackEvery(every)
        .readBackRegionBytes(4L * PAGE);
    byte[] image = Images.memory(64, 7);
    int page = 5;  // region 1, whose turn checkpoint 1 does not have: written by checkpoint 0, reused unread by 1
    byte[] victim = Arrays.copyOfRange(image, page * PAGE, (page + 1) * PAGE);
    store(engine, key(0), image);
    store(engine, key(1), image);
    String name = entryAt(store.manifest(key(1)).orElseThrow(), (long) page * PAGE).hash();
    Damage.flipBit(store, name, 0);
    List<Integer> regions = new ArrayList<>();
    int found = -1;
    for (int n = 2; n < 2 + every && found < 0; n++) {
      // One region towards the image's start per checkpoint, as the turn moves one region on: the turn never
      // comes to it, and only the count of checkpoints that reused it unread does.
      image = rotated(image, 4);
      store(engine, key(n), image);
      regions.add(pageHolding(image, victim) / 4);
      if (intact(store, name)) {
        found = n;
      }
    }
    assertEquals(List.of(0, 15, 14), regions);
    assertEquals("read back at the fourth checkpoint after the one that wrote it", 4, found);
    assertArrayEquals(image, restore(key(found), store));
    assertArrayEquals(Images.memory(64, 7), restore(key(1), store));
  }

  @Test public void aCheckpointReadsBackItsShareAndEveryCopyOnceInEachRunOfCheckpoints() throws IOException {
    byte[] image = Images.memory(2048, 3);
    for (int every : new int[] {1, 4}) {
      DirectoryStore store = DirectoryStore.open("staging", tmp.newFolder().toPath());
      CheckpointEngine engine = new CheckpointEngine(store, new FixedChunker(1)).readBackEvery(every)
          .readBackRegionBytes(64L * PAGE);
      for (int n = 0; n < 4; n++) {
        store(engine, key(n), image);
      }
      long readBack = 0;
      for (int n = 4; n < 4 + every; n++) {
        CheckpointStats stats = store(engine, key(n), image);
        if (every == 1) {
          assertEquals("read back at every reuse", stats.dedupBytes(), stats.readBackBytes());
        } else {
          // A quarter by the regions' turns, and the one reused staged copy in 32 compared with the memory
          assertTrue(stats.toString(), stats.readBackBytes() < stats.dedupBytes() / 2);
        }
        readBack += stats.readBackBytes();
        if (n == 4) {
          assertTrue(stats.dedupBytes() > image.length / 2);
        }
      }
      long reused = store(engine, key(99), image).dedupBytes();
      assertTrue("every copy at least once in " + every + " checkpoints: " + readBack, readBack >= reused);
      assertTrue("and not much more: " + readBack, readBack <= reused + reused * every / 8);

      // An index read from a manifest says nothing of when copies were read back: a restarted agent reads all
      CheckpointStats afterRestart = store(new CheckpointEngine(store, new FixedChunker(1)).readBackEvery(every),
          new CheckpointKey("vm", "after-restart"), image);
      assertEquals(afterRestart.dedupBytes(), afterRestart.readBackBytes());
    }
  }

  @Test public void inAStoreOtherHostsWriteEveryReuseReadsBack() throws IOException {
    byte[] image = Images.memory(256, 4);
    DirectoryStore shared = DirectoryStore.openShared("stable", tmp.newFolder().toPath());
    CheckpointEngine engine = new CheckpointEngine(shared, new FixedChunker(1)).readBackEvery(4)
        .readBackRegionBytes(8L * PAGE);
    store(engine, key(0), image);
    for (int n = 1; n < 6; n++) {
      CheckpointStats stats = store(engine, key(n), image);
      assertTrue(stats.dedupBytes() > image.length / 2);
      assertEquals("checkpoint " + n, stats.dedupBytes(), stats.readBackBytes());
    }
  }

  @Test public void readBackEveryRefusesWhatItCannotKeep() {
    CheckpointEngine engine = new CheckpointEngine(null, new FixedChunker(1));
    for (int bad : new int[] {0, -1, FingerprintIndex.NEVER_CHECKED}) {
      try {
        engine.readBackEvery(bad);
        throw new AssertionError("accepted " + bad);
      } catch (IllegalArgumentException expected) {
        assertTrue(expected.getMessage(), expected.getMessage().contains(Integer.toString(bad)));
      }
    }
    assertEquals(CheckpointEngine.READ_BACK_EVERY, engine.readBackEvery());
  }

  private static CheckpointKey key(int n) {
    return new CheckpointKey("vm", "ck-" + n);
  }

  /** A few pages rewritten (never the page holding {@code keep}), and a third of the time the image rotated. */
  private static byte[] changed(byte[] image, Random random, byte[] keep) {
    byte[] next = random.nextInt(3) == 0 ? rotated(image, random.nextInt(image.length / PAGE)) : image.clone();
    int pages = next.length / PAGE;
    int keepAt = keep == null ? -1 : pageHolding(next, keep);
    byte[] content = new byte[PAGE];
    for (int i = 1 + random.nextInt(3); i > 0; i--) {
      int page = random.nextInt(pages);
      if (page != keepAt) {
        random.nextBytes(content);
        System.arraycopy(content, 0, next, page * PAGE, PAGE);
      }
    }
    return next;
  }

  /** The image moved {@code pages} pages towards its start, the first ones coming round to the end. */
  private static byte[] rotated(byte[] image, int pages) {
    byte[] out = new byte[image.length];
    int cut = pages * PAGE;
    System.arraycopy(image, cut, out, 0, image.length - cut);
    System.arraycopy(image, 0, out, image.length - cut, cut);
    return out;
  }

  private static int nonZeroPage(byte[] image, Random random) {
    byte[] zeros = new byte[PAGE];
    while (true) {
      int page = random.nextInt(image.length / PAGE);
      if (!Arrays.equals(image, page * PAGE, (page + 1) * PAGE, zeros, 0, PAGE)) {
        return page;
      }
    }
  }

  private static int pageHolding(byte[] image, byte[] content) {
    for (int page = 0; page < image.length / PAGE; page++) {
      if (Arrays.equals(image, page * PAGE, (page + 1) * PAGE, content, 0, PAGE)) {
        return page;
      }
    }
    throw new AssertionError("no page holds the content");
  }

  /** The manifest entry of the chunk that starts at {@code offset} in the image. */
  private static ChunkRef entryAt(Manifest manifest, long offset) {
    long at = 0;
    for (ChunkRef ref : manifest.chunks()) {
      if (at == offset) {
        return ref;
      }
      at += ref.length();
    }
    throw new AssertionError("no chunk starts at " + offset);
  }

  /** Whether the store holds a copy under {@code name} that matches the checksum written with it. */
  private static boolean intact(DirectoryStore store, String name) throws IOException {
    try (ChunkReader reader = store.openReader()) {
      return reader.checksum(name) == ChunkReader.Checksum.MATCHES;
    } catch (MissingChunkException dropped) {
      return false;
    }
  }
}
