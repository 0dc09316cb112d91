package org.vmqsc.agent.engine;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.fail;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.vmqsc.agent.store.CheckpointKey;
import org.vmqsc.agent.store.ChunkRef;
import org.vmqsc.agent.store.Damage;
import org.vmqsc.agent.store.DirectoryStore;

/** Restores of images many verifier batches long (about 1 MiB each). */
public class ParallelRestoreTest {

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static final CheckpointKey KEY = new CheckpointKey("vm-1", "ck-1");

  @Test public void anImageOfManyBatchesRestoresExactly() throws IOException {
    byte[] image = Images.memory(3000, 21);  // 12 MiB, a quarter zero pages
    DirectoryStore store = DirectoryStore.open("staging", tmp.getRoot().toPath().resolve("staging"));
    new CheckpointEngine(store, new GearChunker(8192)).store(KEY, new ByteArrayInputStream(image), Map.of());
    Path target = tmp.getRoot().toPath().resolve("restored.img");
    CheckpointEngine.restoreToFile(KEY, store, target, null);
    assertArrayEquals(image, Files.readAllBytes(target));
  }

  @Test public void theFirstBadChunkInImageOrderIsTheOneNamedAndNothingIsLeft() throws IOException {
    byte[] image = Images.memory(3000, 22);
    DirectoryStore store = DirectoryStore.open("staging", tmp.getRoot().toPath().resolve("staging"));
    new CheckpointEngine(store, new FixedChunker(1)).store(KEY, new ByteArrayInputStream(image), Map.of());
    List<ChunkRef> stored = store.manifest(KEY).orElseThrow().chunks().stream().filter(c -> !c.isZero()).toList();
    // A batch holds 1 MiB of chunks that are not zero, 256 pages here: the early one near the end of the first batch,
    // the late one at the start of the second, which another thread checks at the same time and reaches first.
    String early = stored.get(250).hash();
    String late = stored.get(257).hash();
    Damage.flipBit(store, late, 0);
    Damage.flipBit(store, early, 0);
    Path target = tmp.getRoot().toPath().resolve("restored.img");
    try {
      CheckpointEngine.restoreToFile(KEY, store, target, null);
      fail("restored with corrupt chunks");
    } catch (RestoreRefusedException e) {
      assertEquals(early, e.chunkHash());
    }
    assertFalse(Files.exists(target));
    try (var files = Files.list(tmp.getRoot().toPath())) {
      assertFalse("left files behind", files.anyMatch(p -> p.getFileName().toString().startsWith("restored")));
    }
  }
}
