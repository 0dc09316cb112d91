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
 * The memory image a cut writes itself: libvirt's save header (as {@code src/qemu/qemu_saveimage.c} reads it), and
 * the stream that reaches it through a {@link MigrationSink}; where the domain XML names a monitor of its own.
 */
public class SaveImageFileTest {

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test public void theHeaderIsLibvirtsVersionTwoAndSaysPartialUntilFinished() throws Exception {
    Path image = tmp.getRoot().toPath().resolve("ck.save");
    String xml = "<domain type='qemu'><name>g0</name></domain>";
    SaveImageFile.begin(image, xml);
    byte[] bytes = Files.readAllBytes(image);
    ByteBuffer head = ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder());
    assertEquals("LibvirtQemudPart", new String(bytes, 0, 16, StandardCharsets.US_ASCII));
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

    try {
      SaveImageFile.finish(image);
      fail("an image without a stream was marked complete");
    } catch (IOException expected) {
      assertTrue(expected.getMessage(), expected.getMessage().contains("no migration stream"));
    }
  }

  @Test public void aStreamThroughTheSinkLandsAfterTheHeaderAndFinishMarksItComplete() throws Exception {
    Path image = tmp.getRoot().toPath().resolve("ck.save");
    SaveImageFile.begin(image, "<domain/>");
    long headerEnd = Files.size(image);
    byte[] stream = new byte[3 << 20];
    new Random(7).nextBytes(stream);
    Path socket = tmp.getRoot().toPath().resolve("g0.qmp-x.mem");
    try (MigrationSink sink = MigrationSink.listen(socket)) {
      assertEquals("unix:" + socket, sink.uri());
      sink.drainInto(image);
      try (SocketChannel qemu = SocketChannel.open(StandardProtocolFamily.UNIX)) {
        qemu.connect(UnixDomainSocketAddress.of(socket));
        ByteBuffer out = ByteBuffer.wrap(stream);
        while (out.hasRemaining()) qemu.write(out);
      }
      sink.awaitEnd(10_000);
    }
    assertTrue("the socket is gone with the sink", !Files.exists(socket));
    SaveImageFile.finish(image);
    byte[] bytes = Files.readAllBytes(image);
    assertEquals(SaveImageFile.COMPLETE, new String(bytes, 0, 16, StandardCharsets.US_ASCII));
    assertArrayEquals(stream, Arrays.copyOfRange(bytes, (int) headerEnd, bytes.length));
  }

  @Test public void aSinkWhoseDiskFillsUpReadsTheStreamToItsEndAndThenFails() throws Exception {
    // QEMU must be able to finish its background snapshot: a stream cut off early fails its migration with the
    // guest possibly waiting on write protection (a clean-up that can hang QEMU 7.2), one nobody reads stalls it.
    long room = 1 << 20;
    long[] written = new long[1];
    java.nio.channels.WritableByteChannel fillsUp = new java.nio.channels.WritableByteChannel() {
      private boolean open = true;

      @Override public int write(ByteBuffer src) throws IOException {
        if (written[0] + src.remaining() > room) throw new IOException("No space left on device");
        written[0] += src.remaining();
        int n = src.remaining();
        src.position(src.limit());
        return n;
      }

      @Override public boolean isOpen() {
        return open;
      }

      @Override public void close() {
        open = false;
      }
    };
    byte[] stream = new byte[8 << 20];
    new Random(3).nextBytes(stream);
    Path socket = tmp.getRoot().toPath().resolve("g2.mem");
    try (MigrationSink sink = MigrationSink.listen(socket)) {
      sink.drainInto(fillsUp);
      try (SocketChannel qemu = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
        ByteBuffer out = ByteBuffer.wrap(stream);
        while (out.hasRemaining()) qemu.write(out);  // throws (broken pipe) if the sink stopped reading
      }
      try {
        sink.awaitEnd(10_000);
        fail("a stream the disk could not hold was taken");
      } catch (IOException expected) {
        assertTrue(expected.getMessage(), expected.getMessage().contains("No space left on device"));
      }
    }
    assertTrue("wrote what fitted: " + written[0], written[0] > 0 && written[0] <= room);
  }

  @Test public void aSinkNobodyWroteToFailsInsteadOfLeavingAnEmptyImage() throws Exception {
    Path image = tmp.getRoot().toPath().resolve("ck.save");
    SaveImageFile.begin(image, "<domain/>");
    Path socket = tmp.getRoot().toPath().resolve("g1.mem");
    try (MigrationSink sink = MigrationSink.listen(socket)) {
      sink.drainInto(image);
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
