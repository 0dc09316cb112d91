package org.vmqsc.agent.kvm;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A libvirt save image the driver writes itself, so that QEMU's migration stream can go straight into it from a QMP
 * {@code migrate} (no libvirt job inside a cut's pause) and {@code virDomainRestore} still takes the file.
 *
 * <p>The layout is libvirt's (version 2, {@code src/qemu/qemu_saveimage.h}): a 92-byte header — the magic, then five
 * 32-bit fields in the host's byte order (version 2, the length of the data that follows, whether the guest ran, the
 * format 0 = raw, the cookie's offset 0 = none) and fourteen unused ones —, the domain XML ending in a NUL, 64 KiB of
 * zeros libvirt keeps for a longer XML, then the stream. The header says "LibvirtQemudPart" until {@link #finish}
 * marks the stream complete with "LibvirtQemudSave": libvirt refuses to restore an image left partial.
 */
final class SaveImageFile {

  static final int HEADER_BYTES = 92;
  static final String PARTIAL = "LibvirtQemudPart";
  static final String COMPLETE = "LibvirtQemudSave";
  private static final int VERSION = 2;
  private static final int XML_ROOM = 64 * 1024;

  private SaveImageFile() {}

  /** Creates {@code image} with the header (partial) and {@code domainXml}; the stream is appended after it. */
  static void begin(Path image, String domainXml) throws IOException {
    ByteBuffer head = ByteBuffer.wrap(header(PARTIAL, domainXml));
    try (FileChannel out = FileChannel.open(image, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      while (head.hasRemaining()) out.write(head);
    }
  }

  /**
   * The bytes before QEMU's stream in an image that goes straight to the engine: marked complete from the start,
   * since the engine stores no image whose snapshot failed (see {@link ImagePipe}).
   */
  static byte[] completeHeader(String domainXml) {
    return header(COMPLETE, domainXml);
  }

  private static byte[] header(String magic, String domainXml) {
    byte[] xml = domainXml.getBytes(StandardCharsets.UTF_8);
    int dataLength = xml.length + 1 + XML_ROOM;
    ByteBuffer head = ByteBuffer.allocate(HEADER_BYTES + dataLength).order(ByteOrder.nativeOrder());
    head.put(magic.getBytes(StandardCharsets.US_ASCII))
        .putInt(VERSION).putInt(dataLength).putInt(1).putInt(0).putInt(0)
        .position(HEADER_BYTES);
    head.put(xml).put((byte) 0);  // the padding after it is the buffer's zeros
    return head.array();
  }

  /** Marks the stream complete (the magic at the start), once QEMU's migration has ended without an error. */
  static void finish(Path image) throws IOException {
    try (FileChannel out = FileChannel.open(image, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer dataLength = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder());
      out.read(dataLength, 20);  // after the magic and the version
      if (out.size() <= HEADER_BYTES + (dataLength.flip().getInt() & 0xFFFFFFFFL)) {
        throw new IOException(image + " holds no migration stream after its header");
      }
      out.write(ByteBuffer.wrap(COMPLETE.getBytes(StandardCharsets.US_ASCII)), 0);
    }
  }

  /** Opens {@code image} for appending with a plain descriptor, to hand to QEMU; {@link #close} it afterwards. */
  static int openForAppend(Path image) throws IOException {
    try {
      return LibC.INSTANCE.open(image.toString(), O_WRONLY | O_APPEND | O_CLOEXEC, 0);
    } catch (LastErrorException e) {
      throw new IOException("cannot open " + image + " for QEMU: " + e.getMessage(), e);
    }
  }

  static void close(int fd) {
    LibC.INSTANCE.close(fd);
  }

  private static final int O_WRONLY = 01;
  private static final int O_APPEND = 02000;
  private static final int O_CLOEXEC = 02000000;

  private interface LibC extends Library {
    LibC INSTANCE = Native.load("c", LibC.class);

    int open(String path, int flags, int mode) throws LastErrorException;

    int close(int fd);
  }
}
