package org.vmqsc.agent.engine;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.vmqsc.agent.store.CheckpointKey;
import org.vmqsc.agent.store.DirectoryStore;

/** Save streams are cut content-defined, raw memory at pages, and either way the image comes back byte for byte. */
public class ChunkerChoiceTest {

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test public void theDriversSaveStreamsAreKnownByTheirSignatures() {
    for (String signature : new String[] {"LibvirtQemudSave", "LibvirtQemudPart", "QEVM", "XenSavedDomv2-\n",
        "XenSavedDomain\n"}) {
      byte[] head = (signature + "rest of a header").getBytes(StandardCharsets.US_ASCII);
      assertTrue(signature, ChunkerChoice.isSaveStream(head, head.length));
      assertEquals("gear-8k", ChunkerChoice.standard().forImage(head, head.length).name());
      // Cut short before the signature ends: not that stream.
      assertFalse(signature, ChunkerChoice.isSaveStream(head, signature.length() - 1));
    }
    byte[] raw = Images.memory(4, 1);
    assertFalse(ChunkerChoice.isSaveStream(raw, ChunkerChoice.HEAD_BYTES));
    assertEquals("fixed-4k", ChunkerChoice.standard().forImage(raw, ChunkerChoice.HEAD_BYTES).name());
    assertEquals("fixed-4k", ChunkerChoice.standard().forImage(new byte[0], 0).name());
  }

  @Test public void aRawImageIsCutAtPagesAndAStreamContentDefinedBothRestoredExactly() throws IOException {
    DirectoryStore store = DirectoryStore.open("staging", tmp.getRoot().toPath().resolve("staging"));
    CheckpointEngine engine = new CheckpointEngine(store, ChunkerChoice.standard());
    byte[] raw = Images.memory(512, 2);
    byte[] stream = Images.memory(512, 3);
    System.arraycopy("LibvirtQemudSave".getBytes(StandardCharsets.US_ASCII), 0, stream, 0, 16);
    byte[] tiny = {1, 2, 3};  // shorter than the head the choice reads

    Map<String, byte[]> images = Map.of("raw", raw, "stream", stream, "tiny", tiny);
    for (Map.Entry<String, byte[]> e : images.entrySet()) {
      CheckpointKey key = new CheckpointKey("vm-" + e.getKey(), "ck-1");
      engine.store(key, new ByteArrayInputStream(e.getValue()), Map.of());
      ByteArrayOutputStream back = new ByteArrayOutputStream();
      CheckpointEngine.restore(key, store, back, null);
      assertArrayEquals(e.getKey(), e.getValue(), back.toByteArray());
    }
    assertEquals("fixed-4k", store.manifest(new CheckpointKey("vm-raw", "ck-1")).orElseThrow().chunker());
    assertEquals("gear-8k", store.manifest(new CheckpointKey("vm-stream", "ck-1")).orElseThrow().chunker());
  }

  @Test public void onRawMemoryPageChunksStoreLessOfARewriteThanContentDefinedOnes() throws IOException {
    byte[] first = Images.memory(4096, 4);
    byte[] second = first.clone();
    Images.rewrite(second, 200, 5);  // about 5 % of the pages, scattered
    long pages = incrementalBytes(ChunkerChoice.standard(), first, second, "pages");
    long gear = incrementalBytes(ChunkerChoice.always(new GearChunker(8192)), first, second, "gear");
    assertTrue("page chunks stored " + pages + " bytes, content-defined " + gear, pages < gear * 0.75);
  }

  private long incrementalBytes(ChunkerChoice choice, byte[] first, byte[] second, String name) throws IOException {
    CheckpointEngine engine = new CheckpointEngine(DirectoryStore.open(name, tmp.newFolder(name).toPath()), choice);
    engine.store(new CheckpointKey("vm", "ck-1"), new ByteArrayInputStream(first), Map.of());
    return engine.store(new CheckpointKey("vm", "ck-2"), new ByteArrayInputStream(second), Map.of()).storedBytes();
  }
}
