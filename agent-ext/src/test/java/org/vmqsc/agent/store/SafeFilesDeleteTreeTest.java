package org.vmqsc.agent.store;

import static org.junit.Assert.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * {@link SafeFiles#deleteTree} while another thread deletes files in the same tree, as an agent's temporary images
 * are deleted by the thread that stored them while the agent closes: the tree goes, and no file that vanished first
 * fails the delete.
 */
public class SafeFilesDeleteTreeTest {

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test public void aTreeWhoseFilesAnotherThreadDeletesMeanwhileIsDeletedWithoutError() throws Exception {
    for (int round = 0; round < 40; round++) {
      Path root = tmp.getRoot().toPath().resolve("r" + round);
      List<Path> files = new ArrayList<>();
      for (int d = 0; d < 4; d++) {
        Path dir = Files.createDirectories(root.resolve("d" + d));
        for (int f = 0; f < 50; f++) files.add(Files.write(dir.resolve("f" + f), new byte[] {1}));
      }
      CountDownLatch go = new CountDownLatch(1);
      Thread other = new Thread(() -> {
        try {
          go.await();
          for (Path file : files) Files.deleteIfExists(file);
        } catch (IOException | InterruptedException e) {
          throw new AssertionError(e);
        }
      });
      other.start();
      go.countDown();
      SafeFiles.deleteTree(root);
      other.join();
      assertFalse("round " + round, Files.exists(root));
    }
  }

  @Test public void aMissingTreeIsNothingToDelete() throws IOException {
    SafeFiles.deleteTree(tmp.getRoot().toPath().resolve("absent"));
  }
}
