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

  /**
   * Two real guests' images at once: while the engine stores the first, which QEMU still streams, the second is read
   * to its end at once (into a file), so its QEMU, and its guest's writes, never wait for the other guest's store.
   */
  @Test(timeout = 60_000) public void anImageArrivingWhileTheEngineStoresAnotherIsReadToItsEndAtOnce()
      throws Exception {
    byte[] first = new byte[6 << 20];
    byte[] second = new byte[5 << 20];
    java.util.Random random = new java.util.Random(3);
    random.nextBytes(first);
    random.nextBytes(second);
    java.util.concurrent.CountDownLatch restOfFirst = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch firstStarted = new java.util.concurrent.CountDownLatch(1);
    // The first image as QEMU streams it: half, then nothing until the test lets the rest come.
    java.io.InputStream streaming = new java.io.SequenceInputStream(
        new java.io.ByteArrayInputStream(first, 0, first.length / 2), new java.io.InputStream() {
          private java.io.InputStream rest;

          @Override public int read() throws java.io.IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
          }

          @Override public int read(byte[] b, int off, int len) throws java.io.IOException {
            if (rest == null) {
              firstStarted.countDown();
              try {
                restOfFirst.await();
              } catch (InterruptedException e) {
                throw new java.io.InterruptedIOException();
              }
              rest = new java.io.ByteArrayInputStream(first, first.length / 2, first.length - first.length / 2);
            }
            return rest.read(b, off, len);
          }
        });
    CheckpointKey a = new CheckpointKey(VM, "a");
    CheckpointKey b = new CheckpointKey(VM, "b");
    CompletableFuture<Long> storedFirst = CompletableFuture.supplyAsync(() -> {
      try {
        return checkpoints.storeImage(a, streaming, java.util.Map.of()).storedBytes();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    assertTrue(firstStarted.await(30, TimeUnit.SECONDS));
    java.util.concurrent.atomic.AtomicLong readOfSecond = new java.util.concurrent.atomic.AtomicLong();
    java.io.InputStream counted = new java.io.FilterInputStream(new java.io.ByteArrayInputStream(second)) {
      @Override public int read(byte[] buffer, int off, int len) throws java.io.IOException {
        int n = super.read(buffer, off, len);
        if (n > 0) readOfSecond.addAndGet(n);
        return n;
      }
    };
    CompletableFuture<Long> storedSecond = CompletableFuture.supplyAsync(() -> {
      try {
        return checkpoints.storeImage(b, counted, java.util.Map.of()).storedBytes();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (readOfSecond.get() < second.length && System.nanoTime() < deadline) Thread.sleep(5);
    assertEquals("the second image read to its end while the first still streams", second.length,
        readOfSecond.get());
    assertTrue("the first is still being stored", !storedFirst.isDone() && !storedSecond.isDone());
    restOfFirst.countDown();
    assertTrue(storedFirst.get(30, TimeUnit.SECONDS) > 0);
    assertTrue(storedSecond.get(30, TimeUnit.SECONDS) > 0);
    for (var image : java.util.Map.of(a, first, b, second).entrySet()) {
      Path restored = tmp.getRoot().toPath().resolve(image.getKey().checkpointId() + ".restored");
      org.vmqsc.agent.engine.CheckpointEngine.restoreToFile(image.getKey(), staging, restored, null);
      assertTrue(image.getKey().toString(), java.util.Arrays.equals(image.getValue(),
          java.nio.file.Files.readAllBytes(restored)));
    }
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
