package org.vmqsc.agent.engine;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Which chunker cuts one image, chosen from its first bytes.
 *
 * <p>A save stream (libvirt's save and memory-snapshot files, QEMU's migration stream, a Xen suspend image) writes
 * each page behind a header of its own, so a page rewritten in the guest moves nothing but lands at no fixed offset:
 * content-defined chunks find it again. A raw memory image (the simulator's, a guest's RAM as a file) has every page
 * at its own offset, and a rewritten page changes exactly one page-sized piece: page-sized chunks store just that
 * page, where content-defined chunks of 8 KiB on average store one to three pages around it. An image with no
 * stream header is taken for raw memory.
 */
public interface ChunkerChoice {

  /** Bytes at the start of an image that {@link #forImage} looks at. */
  int HEAD_BYTES = 32;

  /** The chunker for the image that starts with {@code head[0..length)} (fewer than HEAD_BYTES: a short image). */
  Chunker forImage(byte[] head, int length);

  /** The longest chunk any chunker of this choice cuts. */
  int maxChunkBytes();

  /** Always {@code chunker}, whatever the image. */
  static ChunkerChoice always(Chunker chunker) {
    return new ChunkerChoice() {
      @Override public Chunker forImage(byte[] head, int length) {
        return chunker;
      }

      @Override public int maxChunkBytes() {
        return chunker.maxChunkBytes();
      }
    };
  }

  /** {@code streams} for save streams, {@code pages} for raw memory images. */
  static ChunkerChoice byLayout(Chunker streams, Chunker pages) {
    return new ChunkerChoice() {
      @Override public Chunker forImage(byte[] head, int length) {
        return isSaveStream(head, length) ? streams : pages;
      }

      @Override public int maxChunkBytes() {
        return Math.max(streams.maxChunkBytes(), pages.maxChunkBytes());
      }
    };
  }

  /** The choice the hosts use: 8 KiB content-defined chunks for save streams, single pages for raw memory. */
  static ChunkerChoice standard() {
    return byLayout(new GearChunker(8192), new FixedChunker(1));
  }

  /**
   * Signatures of the save streams the drivers produce, from their formats' sources: libvirt's save image header
   * ({@code QEMU_SAVE_MAGIC}, {@code QEMU_SAVE_PARTIAL}), QEMU's migration stream ({@code QEMU_VM_FILE_MAGIC}),
   * xenopsd's suspend image (its signature and its legacy one).
   */
  List<byte[]> SAVE_STREAM_SIGNATURES = List.of(ascii("LibvirtQemudSave"), ascii("LibvirtQemudPart"), ascii("QEVM"),
      ascii("XenSavedDomv2-\n"), ascii("XenSavedDomain\n"));

  static boolean isSaveStream(byte[] head, int length) {
    for (byte[] signature : SAVE_STREAM_SIGNATURES) {
      if (length >= signature.length && Arrays.equals(head, 0, signature.length, signature, 0, signature.length)) {
        return true;
      }
    }
    return false;
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
