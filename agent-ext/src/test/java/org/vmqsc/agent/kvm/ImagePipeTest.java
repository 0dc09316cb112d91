package org.vmqsc.agent.kvm;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.Test;

/**
 * The memory image between QEMU's socket and the engine: the same bytes whatever the sizes of QEMU's writes and the
 * engine's reads, no end before the snapshot's verdict, a failed snapshot never read to a clean end, and QEMU's stream
 * read to its end whatever the engine does.
 */
public class ImagePipeTest {

  /** QEMU's side of the socket: {@code bytes} in reads of random sizes, then its end (or a failure). */
  private static final class Qemu implements ReadableByteChannel {
    private final byte[] bytes;
    private final Random random;
    private final IOException failAtEnd;
    private int position;

    Qemu(byte[] bytes, Random random, IOException failAtEnd) {
      this.bytes = bytes;
      this.random = random;
      this.failAtEnd = failAtEnd;
    }

    @Override public int read(ByteBuffer dst) throws IOException {
      if (position == bytes.length) {
        if (failAtEnd != null) throw failAtEnd;
        return -1;
      }
      int n = Math.min(dst.remaining(), Math.min(bytes.length - position, 1 + random.nextInt(300_000)));
      dst.put(bytes, position, n);
      position += n;
      return n;
    }

    @Override public boolean isOpen() {
      return true;
    }

    @Override public void close() {}
  }

  /** A thread each: the two sides block on each other, which a small common pool would not survive. */
  private static final Executor THREADS = task -> {
    Thread t = new Thread(task);
    t.setDaemon(true);
    t.start();
  };

  private static CompletableFuture<byte[]> engine(ImagePipe pipe, Random random) {
    return CompletableFuture.supplyAsync(() -> {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (InputStream in = pipe.stream()) {
        byte[] buffer = new byte[1 << 22];
        int n;
        while ((n = in.read(buffer, 0, 1 + random.nextInt(buffer.length))) >= 0) out.write(buffer, 0, n);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      return out.toByteArray();
    }, THREADS);
  }

  private static CompletableFuture<Long> sink(ImagePipe pipe, Qemu qemu) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return pipe.readFrom(qemu);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }, THREADS);
  }

  @Test(timeout = 120_000) public void theEngineReadsTheHeaderThenQemusStreamWhateverTheSizesOfTheReads()
      throws Exception {
    Random random = new Random(11);
    for (int run = 0; run < 40; run++) {
      byte[] header = new byte[1 + random.nextInt(70_000)];
      random.nextBytes(header);
      // Up to well beyond the queue's capacity, so QEMU's side waits for room in most runs.
      byte[] stream = new byte[random.nextInt(3) == 0 ? random.nextInt(5000)
          : random.nextInt((ImagePipe.CAPACITY_CHUNKS + 20) * ImagePipe.CHUNK_BYTES)];
      random.nextBytes(stream);
      ImagePipe pipe = new ImagePipe(header);
      CompletableFuture<byte[]> engine = engine(pipe, new Random(run));
      CompletableFuture<Long> sink = sink(pipe, new Qemu(stream, new Random(-run), null));
      assertEquals((long) stream.length, (long) sink.get(60, TimeUnit.SECONDS));
      try {
        engine.get(50, TimeUnit.MILLISECONDS);
        fail("the image ended before the snapshot's verdict");
      } catch (TimeoutException expected) {
        // waits for it
      }
      pipe.succeed();
      byte[] read = engine.get(60, TimeUnit.SECONDS);
      assertEquals("the arrays are let go once the image is read", 0, pipe.heldArrayBytes());
      assertArrayEquals(header, Arrays.copyOf(read, header.length));
      assertArrayEquals("run " + run, stream, Arrays.copyOfRange(read, header.length, read.length));
    }
  }

  @Test(timeout = 60_000) public void aSnapshotThatFailsIsNeverReadToAnEndAndQemuIsStillReadToItsEnd()
      throws Exception {
    Random random = new Random(5);
    for (int run = 0; run < 20; run++) {
      byte[] stream = new byte[random.nextInt((ImagePipe.CAPACITY_CHUNKS + 10) * ImagePipe.CHUNK_BYTES)];
      ImagePipe pipe = new ImagePipe(new byte[] {7});
      CompletableFuture<byte[]> engine = engine(pipe, new Random(run));
      IOException cause = new IOException("background snapshot of g0 failed");
      boolean failEarly = random.nextBoolean();
      if (failEarly) pipe.fail(cause);
      CompletableFuture<Long> sink = sink(pipe, new Qemu(stream, new Random(run), null));
      if (!failEarly) pipe.fail(cause);
      assertEquals("QEMU's stream read to its end", (long) stream.length, (long) sink.get(30, TimeUnit.SECONDS));
      assertTrue("one array at most, to drop into: " + pipe.heldArrayBytes(),
          pipe.heldArrayBytes() <= ImagePipe.CHUNK_BYTES);
      pipe.succeed();  // too late: the failure stands
      try {
        engine.get(30, TimeUnit.SECONDS);
        fail("a failed snapshot's image was read to its end");
      } catch (java.util.concurrent.ExecutionException e) {
        IOException thrown = (IOException) e.getCause().getCause();
        assertSame(cause, thrown.getCause());
      }
    }
  }

  @Test(timeout = 60_000) public void aStreamThatBreaksFailsTheEngineEvenAfterTheVerdict() throws Exception {
    byte[] stream = new byte[3 * ImagePipe.CHUNK_BYTES + 17];
    ImagePipe pipe = new ImagePipe(new byte[] {7});
    pipe.succeed();
    CompletableFuture<byte[]> engine = engine(pipe, new Random(1));
    IOException reset = new IOException("Connection reset by peer");
    try {
      pipe.readFrom(new Qemu(stream, new Random(2), reset));
      fail("the broken stream was taken");
    } catch (IOException e) {
      assertSame(reset, e);
    }
    try {
      engine.get(30, TimeUnit.SECONDS);
      fail("a broken stream was read to an end");
    } catch (java.util.concurrent.ExecutionException e) {
      assertTrue(e.getCause().getMessage(), e.getCause().getMessage().contains("Connection reset by peer"));
    }
  }

  @Test(timeout = 60_000) public void aSlowEngineHoldsQemuBackAtTheQueuesCapacity() throws Exception {
    ImagePipe pipe = new ImagePipe(new byte[0]);
    byte[] stream = new byte[(ImagePipe.CAPACITY_CHUNKS + 6) * ImagePipe.CHUNK_BYTES];
    CompletableFuture<Long> sink = sink(pipe, new Qemu(stream, new Random(3), null));
    long capacity = (long) ImagePipe.CAPACITY_CHUNKS * ImagePipe.CHUNK_BYTES;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (pipe.receivedBytes() < capacity && System.nanoTime() < deadline) Thread.sleep(5);
    Thread.sleep(100);
    assertEquals("QEMU waits once the queue is full", capacity, pipe.receivedBytes());
    assertTrue(pipe.full());
    assertTrue(!sink.isDone());
    pipe.succeed();
    byte[] read = engine(pipe, new Random(4)).get(30, TimeUnit.SECONDS);
    assertEquals(stream.length, read.length);
    assertEquals((long) stream.length, (long) sink.get(30, TimeUnit.SECONDS));
  }
}
