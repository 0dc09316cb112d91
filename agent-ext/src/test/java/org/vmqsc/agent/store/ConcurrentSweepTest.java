package org.vmqsc.agent.store;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.vmqsc.agent.engine.CheckpointEngine;

/**
 * Two host processes flush checkpoints that share most of their chunks into one stable store, delete older ones and
 * read recent ones back, while this process sweeps the store in a loop with a short grace period: every checkpoint
 * left restores with every chunk verified, and the store holds less than it would had it never been swept.
 */
public class ConcurrentSweepTest {

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  /** Short for a test, yet far above a flush's check-to-manifest moment (a few file operations). */
  private static final Duration GRACE = Duration.ofMillis(500);
  private static final int CHECKPOINTS = 40;

  @Test public void checkpointsFlushedByOtherProcessesDuringSweepsAllRestore() throws Exception {
    Path stable = tmp.newFolder("stable").toPath();
    DirectoryStore store = DirectoryStore.openShared("stable", stable);
    List<Process> hosts = new ArrayList<>();
    SharedStoreSweeper.Result total = new SharedStoreSweeper.Result(0, 0, 0, 0, 0);
    int sweeps = 0;
    try {
      hosts.add(startHost(stable, "vm-a"));
      long deadline = System.currentTimeMillis() + 25_000;
      // The second host starts once the first has a checkpoint on stable storage, so that it dedups against it.
      while (store.checkpoints().isEmpty() && hosts.get(0).isAlive() && System.currentTimeMillis() < deadline) {
        Thread.sleep(10);
      }
      hosts.add(startHost(stable, "vm-b"));
      while (hosts.stream().anyMatch(Process::isAlive) && System.currentTimeMillis() < deadline) {
        total = add(total, SharedStoreSweeper.sweep(store, GRACE).orElseThrow());
        sweeps++;
        Thread.sleep(20);
      }
      for (Process host : hosts) {
        assertTrue("a host is still flushing", !host.isAlive());
        assertEquals(log(), 0, host.exitValue());
      }
    } finally {
      hosts.forEach(Process::destroyForcibly);
    }
    // Two more, a grace apart: what the last deletions left is moved aside, then deleted.
    for (int i = 0; i < 2; i++) {
      Thread.sleep(GRACE.toMillis() + 100);
      total = add(total, SharedStoreSweeper.sweep(store, GRACE).orElseThrow());
    }

    DirectoryStore check = DirectoryStore.openShared("check", stable);
    List<CheckpointKey> left = check.checkpoints();
    assertEquals(List.of(new CheckpointKey("vm-a", "ck-" + (CHECKPOINTS - 1)), new CheckpointKey("vm-a", "ck-"
        + CHECKPOINTS), new CheckpointKey("vm-b", "ck-" + (CHECKPOINTS - 1)), new CheckpointKey("vm-b", "ck-"
        + CHECKPOINTS)), left);
    for (CheckpointKey key : left) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      CheckpointEngine.restore(key, check, out, null);  // a shared store: every chunk checked by SHA-256
      int n = Integer.parseInt(key.checkpointId().substring(3));
      assertArrayEquals(key.toString(), CheckpointWriterProcess.image(n), out.toByteArray());
    }
    long held = bytes(stable.resolve("packs")) + bytes(stable.resolve("fossils"));
    long unswept = distinctChunkBytes();
    assertTrue("the store holds " + held + " bytes after " + sweeps + " sweeps (" + total + "); never swept, at least "
        + unswept, held < unswept);
    assertTrue(total.toString(), total.fossilsDeleted() > 0 && total.bytesReclaimed() > 0);
  }

  private Process startHost(Path stable, String vm) throws IOException {
    return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), StableFlusherProcess.class.getName(),
        tmp.newFolder("staging-" + vm).toString(), stable.toString(), vm, Integer.toString(CHECKPOINTS))
        .redirectErrorStream(true).redirectOutput(tmp.getRoot().toPath().resolve(vm + ".log").toFile()).start();
  }

  private String log() throws IOException {
    StringBuilder out = new StringBuilder();
    for (String vm : List.of("vm-a", "vm-b")) {
      Path log = tmp.getRoot().toPath().resolve(vm + ".log");
      out.append(vm).append(": ").append(Files.exists(log) ? Files.readString(log) : "").append('\n');
    }
    return out.toString();
  }

  private static SharedStoreSweeper.Result add(SharedStoreSweeper.Result a, SharedStoreSweeper.Result b) {
    return new SharedStoreSweeper.Result(a.packsFossilized() + b.packsFossilized(),
        a.packsRepacked() + b.packsRepacked(), a.fossilsDeleted() + b.fossilsDeleted(),
        a.fossilsRestored() + b.fossilsRestored(), a.bytesReclaimed() + b.bytesReclaimed());
  }

  private static long bytes(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      long sum = 0;
      for (Path file : files.toList()) {
        sum += Files.size(file);
      }
      return sum;
    }
  }

  /** A lower bound on what the store would hold never swept: every distinct page of every checkpoint, once. */
  private static long distinctChunkBytes() {
    ChunkHasher hasher = new ChunkHasher();
    Set<String> distinct = new HashSet<>();
    for (int n = 1; n <= CHECKPOINTS; n++) {
      byte[] image = CheckpointWriterProcess.image(n);
      for (int page = 0; page < CheckpointWriterProcess.PAGES; page++) {
        distinct.add(hasher.hash(image, page * 4096, 4096));
      }
    }
    return distinct.size() * 4096L;
  }
}
