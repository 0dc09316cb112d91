package org.vmqsc.agent.kvm;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The start of a libvirt save image, which the driver puts before QEMU's migration stream itself, so that the stream
 * can come from a QMP {@code migrate} (no libvirt job inside a cut's pause) and {@code virDomainRestore} still takes
 * the image the engine rebuilds.
 *
 * <p>The layout is libvirt's (version 2, {@code src/qemu/qemu_saveimage.h}): a 92-byte header — the magic, then five
 * 32-bit fields in the host's byte order (version 2, the length of the data that follows, whether the guest ran, the
 * format 0 = raw, the cookie's offset 0 = none) and fourteen unused ones —, the domain XML ending in a NUL, 64 KiB of
 * zeros libvirt keeps for a longer XML, then the stream. libvirt writes "LibvirtQemudPart" until the stream is
 * complete and refuses to restore an image left so; the engine stores no image whose snapshot failed (see
 * {@link ImagePipe}), so the header says "LibvirtQemudSave" from the start.
 */
final class SaveImageFile {

  static final int HEADER_BYTES = 92;
  static final String COMPLETE = "LibvirtQemudSave";
  private static final int VERSION = 2;
  private static final int XML_ROOM = 64 * 1024;

  private SaveImageFile() {}

  /** The bytes before QEMU's stream, for {@code domainXml}. */
  static byte[] completeHeader(String domainXml) {
    byte[] xml = domainXml.getBytes(StandardCharsets.UTF_8);
    int dataLength = xml.length + 1 + XML_ROOM;
    ByteBuffer head = ByteBuffer.allocate(HEADER_BYTES + dataLength).order(ByteOrder.nativeOrder());
    head.put(COMPLETE.getBytes(StandardCharsets.US_ASCII))
        .putInt(VERSION).putInt(dataLength).putInt(1).putInt(0).putInt(0)
        .position(HEADER_BYTES);
    head.put(xml).put((byte) 0);  // the padding after it is the buffer's zeros
    return head.array();
  }
}
