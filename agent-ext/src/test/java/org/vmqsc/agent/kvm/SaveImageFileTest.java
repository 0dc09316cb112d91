package org.vmqsc.agent.kvm;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The memory image a cut makes itself: libvirt's save header (as {@code src/qemu/qemu_saveimage.c} reads it), and
 * the stream that reaches the engine after it through a {@link MigrationSink} (a socket, or a kernel pipe); where the
 * domain XML names a monitor of its own.
 */
public class SaveImageFileTest {

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test public void theHeaderIsLibvirtsVersionTwo() {
    String xml = "<domain type='qemu'><name>g0</name></domain>";
    byte[] bytes = SaveImageFile.completeHeader(xml);
    ByteBuffer head = ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder());
    assertEquals("LibvirtQemudSave", new String(bytes, 0, 16, StandardCharsets.US_ASCII));
    head.position(16);
    assertEquals("version", 2, head.getInt());
    int dataLength = head.getInt();
    assertEquals("was running", 1, head.getInt());
    assertEquals("raw format", 0, head.getInt());
    assertEquals("no cookie", 0, head.getInt());
    for (int i = 0; i < 14; i++) assertEquals("unused", 0, head.getInt());
    assertEquals(SaveImageFile.HEADER_BYTES, head.position());
    assertEquals("the XML, its NUL and libvirt's 64 KiB of room", xml.length() + 1 + 65536, dataLength);
    assertEquals(SaveImageFile.HEADER_BYTES + dataLength, bytes.length);
    assertEquals(xml, new String(bytes, SaveImageFile.HEADER_BYTES, xml.length(), StandardCharsets.UTF_8));
    assertTrue("zeros after the XML", Arrays.stream(toInts(bytes, SaveImageFile.HEADER_BYTES + xml.length(),
        bytes.length)).allMatch(b -> b == 0));
  }

  @Test(timeout = 60_000) public void aStreamThroughTheSinkReachesTheEngineAfterTheHeader() throws Exception {
    byte[] header = SaveImageFile.completeHeader("<domain/>");
    byte[] stream = new byte[3 << 20];
    new Random(7).nextBytes(stream);
    Path socket = tmp.getRoot().toPath().resolve("g0.qmp-x.mem");
    ImagePipe pipe = new ImagePipe(header);
    byte[][] read = new byte[1][];
    Thread engine = new Thread(() -> {
      try (java.io.InputStream in = pipe.stream()) {
        read[0] = in.readAllBytes();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    try (MigrationSink sink = MigrationSink.listen(socket)) {
      assertEquals("unix:" + socket, sink.uri());
      sink.streamInto(pipe);
      engine.start();
      try (SocketChannel qemu = SocketChannel.open(StandardProtocolFamily.UNIX)) {
        qemu.connect(UnixDomainSocketAddress.of(socket));
        ByteBuffer out = ByteBuffer.wrap(stream);
        while (out.hasRemaining()) qemu.write(out);
      }
      sink.awaitEnd(10_000);
    }
    assertTrue("the socket is gone with the sink", !Files.exists(socket));
    engine.join(200);
    assertTrue("the image has no end before the snapshot's verdict", engine.isAlive());
    pipe.succeed();
    engine.join();
    assertArrayEquals(header, Arrays.copyOf(read[0], header.length));
    assertArrayEquals(stream, Arrays.copyOfRange(read[0], header.length, read[0].length));
  }

  /** CloudStack's domains have no monitor of the agent's: QEMU gets a pipe's write end, the agent reads the other. */
  @Test(timeout = 60_000) public void aStreamThroughAKernelPipeEndsWhenItsLastWriterClosesIt() throws Exception {
    byte[] stream = new byte[5 << 20];
    new Random(9).nextBytes(stream);
    KernelPipe kernelPipe = KernelPipe.open();
    ImagePipe pipe = new ImagePipe(new byte[] {42});
    try (MigrationSink sink = MigrationSink.ofPipe(kernelPipe.readEnd(), "fd:vmqsc-memory")) {
      assertEquals("fd:vmqsc-memory", sink.uri());
      assertTrue(sink.heldByQemu());
      // "QEMU": its own copy of the write end (as getfd gives it one), the agent's closed once handed over.
      java.io.FileOutputStream qemu = new java.io.FileOutputStream("/proc/self/fd/" + kernelPipe.writeFd());
      kernelPipe.closeWriteEnd();
      sink.streamInto(pipe);
      java.util.concurrent.CompletableFuture<byte[]> engine = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
        try (java.io.InputStream in = pipe.stream()) {
          return in.readAllBytes();
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }, task -> new Thread(task).start());
      try (qemu) {
        qemu.write(stream);
      }
      sink.awaitEnd(10_000);
      pipe.succeed();
      byte[] read = engine.get(30, java.util.concurrent.TimeUnit.SECONDS);
      assertEquals(42, read[0]);
      assertArrayEquals(stream, Arrays.copyOfRange(read, 1, read.length));
    }
  }

  @Test(timeout = 60_000) public void anEngineThatGivesUpLeavesTheSinkReadingTheStreamToItsEnd() throws Exception {
    // QEMU must be able to finish its background snapshot: a stream cut off early fails its migration with the
    // guest possibly waiting on write protection (a clean-up that can hang QEMU 7.2), one nobody reads stalls it.
    byte[] stream = new byte[(ImagePipe.CAPACITY_CHUNKS + 8) * ImagePipe.CHUNK_BYTES];
    new Random(3).nextBytes(stream);
    Path socket = tmp.getRoot().toPath().resolve("g2.mem");
    ImagePipe pipe = new ImagePipe(new byte[] {1, 2, 3});
    try (MigrationSink sink = MigrationSink.listen(socket)) {
      sink.streamInto(pipe);
      java.util.concurrent.CompletableFuture<Void> qemu = java.util.concurrent.CompletableFuture.runAsync(() -> {
        try (SocketChannel out = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
          ByteBuffer bytes = ByteBuffer.wrap(stream);
          while (bytes.hasRemaining()) out.write(bytes);  // throws (broken pipe) if the sink stopped reading
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }, task -> new Thread(task).start());
      try (java.io.InputStream engine = pipe.stream()) {
        assertEquals(3 + 1000, engine.readNBytes(1003).length);  // then the store fills up, and it closes
      }
      qemu.get(30, java.util.concurrent.TimeUnit.SECONDS);
      sink.awaitEnd(10_000);
      assertEquals(stream.length, pipe.receivedBytes());
    }
  }

  @Test public void aSinkNobodyWroteToFailsInsteadOfLeavingAnEmptyImage() throws Exception {
    Path socket = tmp.getRoot().toPath().resolve("g1.mem");
    try (MigrationSink sink = MigrationSink.listen(socket)) {
      sink.streamInto(new ImagePipe(new byte[1]));
      SocketChannel.open(UnixDomainSocketAddress.of(socket)).close();  // connects, sends nothing
      try {
        sink.awaitEnd(10_000);
        fail("an empty stream was taken");
      } catch (IOException expected) {
        assertTrue(expected.getMessage(), expected.getMessage().contains("no memory stream"));
      }
    }
  }

  @Test public void theOwnMonitorIsFoundInTheXmlAndMovedOrDroppedForARestore() {
    Path socket = Path.of("/var/tmp/run/qmp/g0.qmp");
    String xml = LabGuest.domainXml(new LabGuest.Spec("g0", 128, 16, 256, 0.2), Path.of("/tmp/g0.serial"), null,
        socket);
    assertEquals(socket, QmpSocket.socketIn(xml));
    Path elsewhere = Path.of("/srv/other/qmp/g0.qmp");
    assertEquals(elsewhere, QmpSocket.socketIn(LabGuest.withOwnMonitor(xml, elsewhere)));
    String dropped = LabGuest.withOwnMonitor(xml, null);
    assertNull(QmpSocket.socketIn(dropped));
    assertTrue(dropped.endsWith("</devices></domain>"));
    String without = LabGuest.domainXml(new LabGuest.Spec("g0", 128, 16, 256, 0.2), Path.of("/tmp/g0.serial"));
    assertNull(QmpSocket.socketIn(without));
    assertEquals(without, LabGuest.withOwnMonitor(without, elsewhere));
  }

  private static int[] toInts(byte[] bytes, int from, int to) {
    int[] out = new int[to - from];
    for (int i = from; i < to; i++) out[i - from] = bytes[i];
    return out;
  }
}
