package org.vmqsc.agent.store;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.vmqsc.agent.engine.CheckpointEngine;

/**
 * Kills a process that is writing checkpoints (and collecting garbage) with SIGKILL at random moments, several
 * times over the same store: every checkpoint that exists afterwards must restore byte for byte, and the store
 * must accept new checkpoints.
 */
public class KilledAgentTest {

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test public void killingTheWriterAtAnyMomentNeverDamagesEarlierCheckpoints() throws Exception {
    Path root = tmp.getRoot().toPath().resolve("store");
    Random random = new Random(7);
    int next = 1;
    for (int round = 0; round < 4; round++) {
      Process writer = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-cp", System.getProperty("java.class.path"), CheckpointWriterProcess.class.getName(), root.toString(),
          Integer.toString(next))
          .redirectErrorStream(true).redirectOutput(tmp.getRoot().toPath().resolve("writer.log").toFile()).start();
      long deadline = System.currentTimeMillis() + 60_000;
      while (countManifests(root) < 2 && System.currentTimeMillis() < deadline && writer.isAlive()) {
        Thread.sleep(20);
      }
      Thread.sleep(random.nextInt(300));
      writer.destroyForcibly().waitFor();  // SIGKILL: no shutdown hooks, no finally blocks
      assertTrue("the writer died by itself: " + Files.readString(tmp.getRoot().toPath().resolve("writer.log")),
          writer.exitValue() != 0);

      DirectoryStore store = DirectoryStore.open("staging", root);
      assertTrue(store.openReport().problems().toString(), store.openReport().problems().isEmpty());
      List<CheckpointKey> survivors = store.checkpoints();
      assertTrue("no checkpoint survived round " + round, !survivors.isEmpty());
      for (CheckpointKey key : survivors) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CheckpointEngine.restore(key, store, out, null);
        int n = Integer.parseInt(key.checkpointId().substring(3));
        assertArrayEquals(key + " after a kill", CheckpointWriterProcess.image(n), out.toByteArray());
        next = Math.max(next, n + 1);
      }
      try (var temps = Files.walk(root)) {
        assertTrue(temps.noneMatch(p -> p.toString().endsWith(SafeFiles.TEMP_SUFFIX)));
      }
    }
  }

  private static int countManifests(Path root) throws Exception {
    Path dir = root.resolve("manifests/vm-1");
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    try (var files = Files.list(dir)) {
      return (int) files.filter(p -> !p.toString().endsWith(SafeFiles.TEMP_SUFFIX)).count();
    }
  }
}
