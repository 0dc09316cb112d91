package org.vmqsc.lab;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class ImageFileBenchTest {

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test public void measuresTheEngineAndTheToolsOnTheSameFile() throws Exception {
    Path image = tmp.getRoot().toPath().resolve("memory.img");
    Files.write(image, EngineBenchCommand.syntheticMemory(16, 3));
    Map<String, List<ImageFileBench.Run>> results =
        new ImageFileBench(image, tmp.newFolder("work").toPath(), 1, 1, 5).run();

    ImageFileBench.Run restore = results.get("vmqsc restore (verified, to a file)").get(0);
    assertEquals("the restored image has the file's length", Files.size(image), restore.bytes());
    long stored = results.get("vmqsc first checkpoint").get(0).bytes();
    assertTrue("stored " + stored, stored > 0 && stored < Files.size(image));  // a quarter of the pages are zero
    long incremental = results.get(ImageFileBench.INCREMENTAL).get(0).bytes();
    // 5 % of the pages rewritten with random bytes: about that much stored again, far less than the first time
    assertTrue("incremental stored " + incremental + " after " + stored, incremental > Files.size(image) / 25
        && incremental < stored / 2);
    // The image read as a stream makes the same checkpoints as the image read from its file
    assertEquals(stored, results.get("vmqsc first checkpoint" + ImageFileBench.STREAMED).get(0).bytes());
    assertEquals(incremental, results.get(ImageFileBench.INCREMENTAL + ImageFileBench.STREAMED).get(0).bytes());
    // Reading every reused copy back, not in turns, stores the same bytes: nothing here was damaged
    assertEquals(incremental,
        results.get(ImageFileBench.INCREMENTAL + ImageFileBench.EVERY_COPY_READ_BACK).get(0).bytes());
    // The floor fingerprints the rewritten copy's pages that are not zeros: about three quarters of them
    long fingerprinted = results.get(ImageFileBench.FLOOR).get(0).bytes();
    assertTrue("fingerprinted " + fingerprinted, fingerprinted > Files.size(image) / 2
        && fingerprinted < Files.size(image) && fingerprinted % 4096 == 0);
    assertEquals(ImageFileBench.installed("lz4"), results.containsKey("lz4 -1"));
    assertEquals(ImageFileBench.installed("lz4"), results.containsKey(ImageFileBench.LZ4_REWRITTEN));
    assertEquals(ImageFileBench.installed("lz4"), results.containsKey("lz4 -d (to a file)"));
    assertEquals(ImageFileBench.installed("zstd"), results.containsKey("zstd -1"));
    if (results.containsKey("lz4 -d (to a file)")) {
      assertEquals(Files.size(image), results.get("lz4 -d (to a file)").get(0).bytes());
    }
  }
}
