package org.vmqsc.agent.store;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.vmqsc.agent.engine.CheckpointEngine;
import org.vmqsc.agent.engine.CheckpointStats;
import org.vmqsc.agent.engine.FixedChunker;
import org.vmqsc.agent.store.ChunkReader.Checksum;

/**
 * The checksum each pack record carries of its encoded chunk: what it finds, that packs written before it are still
 * read (and their copies compared instead), and that a collector moving records neither drops nor forges it.
 */
public class PackChecksumTest {

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static final int PAGE = 4096;
  private static final CheckpointKey FIRST = new CheckpointKey("vm-1", "ck-1");
  private static final CheckpointKey SECOND = new CheckpointKey("vm-1", "ck-2");

  /** Random pages, every third one text-like, so that chunks are stored both raw and LZ4-compressed. */
  private static byte[] image(int pages, long seed) {
    byte[] image = DirectoryStoreTest.randomImage(pages, seed);
    for (int p = 0; p < pages; p += 3) {
      for (int i = p * PAGE; i < (p + 1) * PAGE; i++) {
        image[i] = (byte) ('a' + (image[i] & 7));
      }
    }
    return image;
  }

  private DirectoryStore store() throws IOException {
    return DirectoryStore.open("staging", tmp.newFolder().toPath().resolve("store"));
  }

  /** Stores each page of {@code image} under its SHA-256 through {@code writer}, as a checkpoint's new chunks. */
  private static List<String> putPages(ChunkWriter writer, byte[] image) throws IOException {
    ChunkHasher hasher = new ChunkHasher();
    List<String> names = new ArrayList<>();
    for (int at = 0; at < image.length; at += PAGE) {
      String name = hasher.hash(image, at, PAGE);
      writer.put(name, ChunkCodec.encode(image, at, PAGE));
      names.add(name);
    }
    writer.commit();
    return names;
  }

  /** A manifest of another VM naming {@code names}, one page each: what keeps them when the store is collected. */
  private static void nameInAManifest(CheckpointStore store, List<String> names) throws IOException {
    store.putManifest(new Manifest(Manifest.FORMAT, "vm-0", "older", 0, (long) PAGE * names.size(), "fixed-4k",
        Map.of(), names.stream().map(name -> new ChunkRef(name, PAGE)).toList()));
  }

  private static String magic(Path pack) throws IOException {
    return new String(Arrays.copyOf(Files.readAllBytes(pack), 8), StandardCharsets.US_ASCII);
  }

  private static Checksum checksum(CheckpointStore store, String hash) throws IOException {
    try (ChunkReader reader = store.openReader()) {
      return reader.checksum(hash);
    }
  }

  private static byte[] restore(CheckpointKey key, CheckpointStore store) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CheckpointEngine.restore(key, store, out, null);
    return out.toByteArray();
  }

  @Test public void aRecordsChecksumFindsItsCopyRottedWithoutDecodingIt() throws IOException {
    DirectoryStore store = store();
    new CheckpointEngine(store, new FixedChunker(1)).store(FIRST, new ByteArrayInputStream(image(30, 1)), Map.of());
    List<String> chunks = store.manifest(FIRST).orElseThrow().chunks().stream().map(ChunkRef::hash).toList();
    assertEquals("VMQSCPK2", magic(store.locate(chunks.get(0)).orElseThrow().pack()));
    String compressed = chunks.get(0);
    String raw = chunks.get(1);
    assertTrue(store.locate(compressed).orElseThrow().length() < PAGE);
    assertTrue(store.locate(raw).orElseThrow().length() > PAGE);
    for (String chunk : chunks) {
      assertEquals(chunk, Checksum.MATCHES, checksum(store, chunk));
    }

    Damage.flipBit(store, compressed, 2);
    Damage.flipBit(store, raw, 0);

    try (ChunkReader reader = store.openReader()) {
      for (String chunk : chunks) {  // one reader, read ahead through the pack, as a checkpoint reads
        boolean damaged = chunk.equals(compressed) || chunk.equals(raw);
        assertEquals(chunk, damaged ? Checksum.DIFFERS : Checksum.MATCHES, reader.checksum(chunk));
      }
    }
  }

  @Test public void packsWrittenBeforeChecksumsAreReadAndTheirCopiesAreComparedBeforeReuse() throws IOException {
    DirectoryStore store = store();
    byte[] image = image(12, 2);
    List<String> names;
    try (ChunkWriter before = store.openUnchecksummedWriter()) {  // as an agent before checksums stored them
      names = putPages(before, image);
    }
    nameInAManifest(store, names);
    Path pack = store.locate(names.get(0)).orElseThrow().pack();
    assertEquals("VMQSCPK1", magic(pack));
    DirectoryStore reopened = DirectoryStore.open("staging", store.root());
    try (ChunkReader reader = reopened.openReader()) {
      for (int p = 0; p < names.size(); p++) {
        assertEquals(Checksum.NONE, reader.checksum(names.get(p)));
        assertArrayEquals(Arrays.copyOfRange(image, p * PAGE, (p + 1) * PAGE),
            ChunkCodec.decode(reader.read(names.get(p)), names.get(p), PAGE, new ChunkHasher()));
      }
    }
    Damage.flipBit(reopened, names.get(4), 0);

    // A checkpoint of the same memory finds those copies by SHA-256; with no checksum to ask, it compares them.
    CheckpointStats stats = new CheckpointEngine(reopened, new FixedChunker(1)).stagingKeys(false)
        .store(FIRST, new ByteArrayInputStream(image), Map.of());

    assertEquals("only the damaged copy is written again", 1, stats.newChunks());
    assertNotEquals(pack, reopened.locate(names.get(4)).orElseThrow().pack());
    assertEquals(Checksum.MATCHES, checksum(reopened, names.get(4)));
    assertArrayEquals(image, restore(FIRST, reopened));
    assertArrayEquals(image, restore(FIRST, DirectoryStore.open("staging", store.root())));
  }

  @Test public void aCollectorCopiesRecordsAsTheyAreChecksumAndFormatIncluded() throws IOException {
    for (boolean checksummed : new boolean[] {true, false}) {
      DirectoryStore store = store();
      byte[] image = image(40, 3);
      List<String> names;
      try (ChunkWriter writer = checksummed ? store.openWriter() : store.openUnchecksummedWriter()) {
        names = putPages(writer, image);
      }
      String rotted = names.get(7);
      String intact = names.get(9);
      nameInAManifest(store, List.of(rotted, intact));
      Path before = store.locate(intact).orElseThrow().pack();
      Damage.flipBit(store, rotted, 0);

      GarbageCollector.collect(store);  // the pack is mostly garbage: the two live records are copied to a new one

      Path after = store.locate(intact).orElseThrow().pack();
      assertNotEquals(before, after);
      assertTrue(Files.notExists(before));
      assertEquals(checksummed ? "VMQSCPK2" : "VMQSCPK1", magic(after));
      // The rotted copy keeps the checksum it no longer matches: the copy does not vouch for bytes nobody checked.
      assertEquals(checksummed ? Checksum.DIFFERS : Checksum.NONE, checksum(store, rotted));
      assertEquals(checksummed ? Checksum.MATCHES : Checksum.NONE, checksum(store, intact));
      DirectoryStore reopened = DirectoryStore.open("staging", store.root());
      assertEquals(checksummed ? Checksum.DIFFERS : Checksum.NONE, checksum(reopened, rotted));
      assertArrayEquals(Arrays.copyOfRange(image, 9 * PAGE, 10 * PAGE),
          ChunkCodec.decode(reopened.readChunk(intact), intact, PAGE, new ChunkHasher()));
    }
  }
}
