package org.vmqsc.agent.engine;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.vmqsc.agent.engine.EngineCalls.restore;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.vmqsc.agent.store.CheckpointKey;
import org.vmqsc.agent.store.DirectoryStore;

/**
 * The cuts do not depend on how the image's bytes arrive: read piece by piece ({@link CheckpointEngine#PIECE_BYTES}) into
 * blocks of a few pieces, or trickling in short reads of random length into the smallest blocks the chunker allows,
 * a series of images gives the same checkpoints, over many random series of images several pieces long.
 */
public class ImageArrivalTest {

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static final int SERIES = 24;
  private static final int CHECKPOINTS = 3;

  @Test public void theSameCheckpointsWhicheverWayTheBytesArrive() throws IOException {
    for (long seed = 0; seed < SERIES; seed++) {
      Random random = new Random(seed);
      Chunker chunker = Images.anyChunker(random);
      Path root = tmp.newFolder("series-" + seed).toPath();
      DirectoryStore piecesStore = DirectoryStore.open("pieces", root.resolve("pieces"));
      DirectoryStore trickleStore = DirectoryStore.open("trickle", root.resolve("trickle"));
      // Blocks of a few pieces and some bytes more: after the bytes carried into the next block, its last piece is
      // cut short by the block's end, where a piece may leave too few bytes to cut.
      CheckpointEngine pieces = new CheckpointEngine(piecesStore, chunker).cutAhead(false)
          .blockBytes(CheckpointEngine.PIECE_BYTES + 1 + random.nextInt(2 * CheckpointEngine.PIECE_BYTES));
      CheckpointEngine trickle = new CheckpointEngine(trickleStore, chunker).cutAhead(random.nextBoolean())
          .blockBytes(1);
      byte[] image = Images.mixed(random, 2 * CheckpointEngine.PIECE_BYTES, 8 * CheckpointEngine.PIECE_BYTES);
      for (int c = 1; c <= CHECKPOINTS; c++) {
        CheckpointKey key = new CheckpointKey("vm", "ck-" + c);
        String context = "seed " + seed + ", " + chunker.name() + ", checkpoint " + c + " of " + image.length + " B";
        CheckpointStats p = pieces.store(key, new ByteArrayInputStream(image), Map.of());
        CheckpointStats t = trickle.store(key, new Trickle(image, new Random(seed * 31 + c)), Map.of());
        assertEquals(context, piecesStore.manifest(key).orElseThrow().chunks(),
            trickleStore.manifest(key).orElseThrow().chunks());
        assertEquals(context, p.chunks(), t.chunks());
        assertEquals(context, p.zeroBytes(), t.zeroBytes());
        assertEquals(context, p.dedupBytes(), t.dedupBytes());
        assertArrayEquals(context, image, restore(key, trickleStore));
        image = Images.changed(image, random);
      }
    }
  }

  /** Hands out the image in reads of 1 to 70,000 bytes, as a pipe that QEMU fills unevenly would. */
  private static final class Trickle extends InputStream {
    private final byte[] image;
    private final Random random;
    private int at;

    Trickle(byte[] image, Random random) {
      this.image = image;
      this.random = random;
    }

    @Override public int read() {
      return at < image.length ? image[at++] & 0xFF : -1;
    }

    @Override public int read(byte[] b, int off, int len) {
      if (len == 0) {
        return 0;
      }
      if (at == image.length) {
        return -1;
      }
      int n = Math.min(Math.min(len, image.length - at), 1 + random.nextInt(70_000));
      System.arraycopy(image, at, b, off, n);
      at += n;
      return n;
    }
  }
}
