package org.vmqsc.agent.engine;

import static org.hamcrest.CoreMatchers.containsString;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.fail;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.vmqsc.agent.store.CheckpointKey;
import org.vmqsc.agent.store.DirectoryStore;
import org.vmqsc.agent.store.Manifest;

/** A checkpoint whose chunks are placed on a second thread: the same manifests, and failures reported the same. */
public class SecondThreadTest {

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static final CheckpointKey FIRST = new CheckpointKey("vm-1", "ck-1");
  private static final CheckpointKey SECOND = new CheckpointKey("vm-1", "ck-2");

  private DirectoryStore open(String name) throws IOException {
    return DirectoryStore.open("staging", tmp.getRoot().toPath().resolve(name));
  }

  private static byte[] restore(CheckpointKey key, DirectoryStore store) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CheckpointEngine.restore(key, store, out, null);
    return out.toByteArray();
  }

  @Test public void oneAndTwoThreadsWriteTheSameManifests() throws IOException {
    byte[] first = Images.memory(6000, 31);  // 23 MiB: several 4 MiB slabs
    byte[] second = first.clone();
    Images.rewrite(second, 300, 32);
    for (Chunker chunker : new Chunker[] {new GearChunker(8192), new FixedChunker(1)}) {
      DirectoryStore one = open("one-" + chunker.name());
      DirectoryStore two = open("two-" + chunker.name());
      CheckpointEngine single = new CheckpointEngine(one, chunker, Fingerprinter.xxh3(), 1);
      CheckpointEngine pipelined = new CheckpointEngine(two, chunker, Fingerprinter.xxh3(), 2);
      for (CheckpointKey key : new CheckpointKey[] {FIRST, SECOND}) {
        byte[] image = key == FIRST ? first : second;
        CheckpointStats a = single.store(key, new ByteArrayInputStream(image), Map.of());
        CheckpointStats b = pipelined.store(key, new ByteArrayInputStream(image), Map.of());
        assertEquals(a.chunks(), b.chunks());
        assertEquals(a.newChunks(), b.newChunks());
        assertEquals(a.zeroBytes(), b.zeroBytes());
        assertEquals(a.dedupBytes(), b.dedupBytes());
        Manifest ma = one.manifest(key).orElseThrow();
        Manifest mb = two.manifest(key).orElseThrow();
        assertEquals(ma.chunks(), mb.chunks());
        assertArrayEquals(image, restore(key, two));
      }
      assertEquals(one.chunkHashes(), two.chunkHashes());
    }
  }

  @Test public void aFailedAuditOnTheSecondThreadFailsTheCheckpoint() throws IOException {
    byte[] first = Images.memory(2048, 8);
    byte[] second = Images.memory(2048, 9);
    DirectoryStore store = open("audit");
    Fingerprinter colliding = (bytes, offset, length, out) -> {
      out[0] = 42;
      out[1] = 42;
    };
    CheckpointEngine engine = new CheckpointEngine(store, new FixedChunker(1), colliding, 2);
    engine.store(FIRST, new ByteArrayInputStream(first), Map.of());
    try {
      engine.store(SECOND, new ByteArrayInputStream(second), Map.of());
      fail("a checkpoint whose fingerprints do not describe its bytes must not be written");
    } catch (CheckpointFailedException e) {
      assertThat(e.getMessage(), containsString("has the fingerprint of chunk"));
    }
    assertFalse(store.manifest(SECOND).isPresent());
    engine.store(SECOND, new ByteArrayInputStream(second), Map.of());
    assertArrayEquals(second, restore(SECOND, store));
    assertFalse("no placing thread left behind", placingThreads());
  }

  @Test public void anImageThatCannotBeReadStopsTheSecondThreadAndLeavesNothing() throws IOException {
    byte[] image = Images.memory(6000, 33);
    DirectoryStore store = open("broken");
    CheckpointEngine engine = new CheckpointEngine(store, new GearChunker(8192), Fingerprinter.xxh3(), 2);
    InputStream breaksHalfWay = new ByteArrayInputStream(image) {
      @Override public synchronized int read(byte[] b, int off, int len) {
        if (pos > image.length / 2) {
          throw new IllegalStateException("the image stream broke");
        }
        return super.read(b, off, Math.min(len, 1 << 20));
      }
    };
    try {
      engine.store(FIRST, breaksHalfWay, Map.of());
      fail("stored a checkpoint of an image that could not be read");
    } catch (CheckpointFailedException e) {
      assertThat(e.getMessage(), containsString("the image stream broke"));
    }
    assertFalse(store.manifest(FIRST).isPresent());
    assertEquals(Set.of(), store.chunkHashes());
    assertFalse("no placing thread left behind", placingThreads());
  }

  private static boolean placingThreads() {
    return Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
        .collect(Collectors.toSet()).stream().anyMatch(name -> name.startsWith("vmqsc-checkpoint-vm-1"));
  }
}
