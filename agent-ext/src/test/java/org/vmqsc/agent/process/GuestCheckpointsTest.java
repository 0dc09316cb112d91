package org.vmqsc.agent.process;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.vmqsc.agent.guest.PwdGuest;
import org.vmqsc.agent.store.CheckpointKey;
import org.vmqsc.agent.store.DirectoryStore;

/** Checkpoints of a guest that did not execute in between share its image; any step makes a new one. */
public class GuestCheckpointsTest {

  private static final String VM = "11111111-1111-1111-1111-111111111111";
  private static final int MIB = 4;

  @Rule public TemporaryFolder tmp = new TemporaryFolder();
  private DirectoryStore staging;
  private GuestCheckpoints checkpoints;

  @Before public void open() throws Exception {
    Path root = tmp.getRoot().toPath();
    staging = DirectoryStore.open("staging", root.resolve("staging"));
    checkpoints = new GuestCheckpoints(staging, DirectoryStore.openShared("stable", root.resolve("stable")),
        root.resolve("disks"));
    checkpoints.startGuest(VM, MIB, 0, 3);
  }

  @After public void close() throws Exception {
    checkpoints.close();
  }

  @Test public void aGuestThatDidNotExecuteIsCheckpointedAgainWithoutItsImage() throws Exception {
    PwdGuest guest = new PwdGuest(0, 2, 9);

    long first = take(GuestCheckpoints.key(VM, 7, 1), guest).staged().get(30, TimeUnit.SECONDS);
    Set<String> chunksOfFirst = staging.chunkHashes();
    checkpoints.guest(VM).rewrite(0, 256); // a MiB of its memory changes, its execution does not
    Taken eight = take(GuestCheckpoints.key(VM, 8, 1), guest);
    long catchUp = eight.staged().get(30, TimeUnit.SECONDS);
    // A manifest only: the first's chunks, and no chunk stored (a manifest's own size grows with the image's chunks).
    assertEquals(chunksOfFirst, staging.chunkHashes());
    assertEquals(staging.manifest(GuestCheckpoints.key(VM, 7, 1)).orElseThrow().chunks(),
        staging.manifest(GuestCheckpoints.key(VM, 8, 1)).orElseThrow().chunks());
    guest.receive(1, 42);
    long afterAStep = take(GuestCheckpoints.key(VM, 9, 1), guest).staged().get(30, TimeUnit.SECONDS);
    long nextIncarnation = take(GuestCheckpoints.key(VM, 10, 2), guest).staged().get(30, TimeUnit.SECONDS);

    assertTrue("the first checkpoint stores the image: " + first, first > 100_000);
    assertTrue("a guest that executed goes through the engine again, which stores the changed MiB: " + afterAStep,
        afterAStep > 500_000);
    assertTrue("another incarnation never shares an image: " + nextIncarnation, nextIncarnation != catchUp);

    // Both restore to the execution state they were taken in, from stable storage.
    String location = eight.stable().get(30, TimeUnit.SECONDS);
    PwdGuest restored = checkpoints.restore(location, 0, 2, MIB, 0);
    assertEquals(new PwdGuest(0, 2, 9).hash, restored.hash);
  }

  private record Taken(CompletableFuture<Long> staged, CompletableFuture<String> stable) {}

  private Taken take(CheckpointKey key, PwdGuest state) {
    Taken t = new Taken(new CompletableFuture<>(), new CompletableFuture<>());
    checkpoints.checkpoint(key, state.copy(), new GuestCheckpoints.Progress() {
      @Override public void staged(long storedBytes) { t.staged().complete(storedBytes); }
      @Override public void stable(String location) { t.stable().complete(location); }
      @Override public void failed(Exception e) {
        t.staged().completeExceptionally(e);
        t.stable().completeExceptionally(e);
      }
    });
    return t;
  }
}
