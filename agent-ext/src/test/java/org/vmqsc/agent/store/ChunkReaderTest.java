package org.vmqsc.agent.store;

import static org.hamcrest.CoreMatchers.containsString;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertThat;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class ChunkReaderTest {

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private final List<String> hashes = new ArrayList<>();
  private final List<byte[]> encoded = new ArrayList<>();

  /** 300 chunks of 1..20 KiB in one pack, in the order they were written. */
  private DirectoryStore storeWithChunks() throws IOException {
    DirectoryStore store = DirectoryStore.open("staging", tmp.getRoot().toPath().resolve("staging"));
    Random random = new Random(5);
    ChunkHasher hasher = new ChunkHasher();
    try (ChunkWriter writer = store.openWriter()) {
      for (int i = 0; i < 300; i++) {
        byte[] raw = new byte[1 + random.nextInt(20 << 10)];
        random.nextBytes(raw);
        String hash = hasher.hash(raw, 0, raw.length);
        byte[] chunk = ChunkCodec.encode(raw, 0, raw.length);
        writer.put(hash, chunk);
        hashes.add(hash);
        encoded.add(chunk);
      }
      writer.commit();
    }
    return store;
  }

  @Test public void readsEveryChunkInOrderBackwardsAndScattered() throws IOException {
    DirectoryStore store = storeWithChunks();
    try (ChunkReader reader = store.openReader()) {
      for (int i = 0; i < hashes.size(); i++) {
        assertArrayEquals("in order, #" + i, encoded.get(i), reader.read(hashes.get(i)));
      }
      for (int i = hashes.size() - 1; i >= 0; i--) {
        assertArrayEquals("backwards, #" + i, encoded.get(i), reader.read(hashes.get(i)));
      }
      for (int i = 0; i < hashes.size(); i++) {
        int j = (i * 37) % hashes.size();
        assertArrayEquals("scattered, #" + j, encoded.get(j), reader.read(hashes.get(j)));
      }
    }
  }

  @Test public void aTruncatedPackIsReportedAtTheFirstChunkItCutsAndNotBefore() throws IOException {
    DirectoryStore store = storeWithChunks();
    String victim = hashes.get(200);
    Damage.truncateInside(store, victim);
    try (ChunkReader reader = store.openReader()) {
      for (int i = 0; i < 200; i++) {
        assertArrayEquals("#" + i, encoded.get(i), reader.read(hashes.get(i)));
      }
      try {
        reader.read(victim);
        fail("read a truncated chunk");
      } catch (CorruptChunkException e) {
        assertThat(e.getMessage(), containsString("truncated"));
      }
    }
  }

  @Test public void aDamagedRecordHeaderIsRefusedAlsoWhenReadAhead() throws IOException {
    DirectoryStore store = storeWithChunks();
    Damage.flipHeaderBit(store, hashes.get(100));
    try (ChunkReader reader = store.openReader()) {
      for (int i = 0; i < 100; i++) {
        reader.read(hashes.get(i));  // the damaged record is now in the read-ahead window
      }
      reader.read(hashes.get(100));
      fail("read a chunk whose record header is damaged");
    } catch (CorruptChunkException e) {
      assertThat(e.getMessage(), containsString("record header"));
    }
  }
}
