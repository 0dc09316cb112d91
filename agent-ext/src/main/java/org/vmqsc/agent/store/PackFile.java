package org.vmqsc.agent.store;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.OptionalLong;

/**
 * The layout of a pack file and of the name a pack gets when a {@link SharedStoreSweeper} moves it aside
 * ({@code <pack name>.<epoch millis>.fossil}). Two formats, told apart by the magic, both read:
 * <pre>
 * VMQSCPK2 ([32-byte name][4-byte length][4-byte CRC32C of the encoded chunk][encoded chunk])*   written now
 * VMQSCPK1 ([32-byte name][4-byte length][encoded chunk])*                                        until 2026-12
 * </pre>
 * The checksum lets a checkpoint that reuses a stored copy check that the copy is still the bytes written without
 * decoding it (see {@link ChunkReader#checksum}).
 */
final class PackFile {

  static final byte[] MAGIC = "VMQSCPK2".getBytes(StandardCharsets.US_ASCII);
  /** The format without checksums, still read, and written only by a collector copying such a pack's records. */
  static final byte[] MAGIC_UNCHECKSUMMED = "VMQSCPK1".getBytes(StandardCharsets.US_ASCII);
  static final int MAGIC_BYTES = 8;
  static final String SUFFIX = ".pack";
  static final String FOSSIL_SUFFIX = ".fossil";
  static final String NOT_A_PACK = "is not a chunk pack";
  private static final HexFormat HEX = HexFormat.of();

  private PackFile() {}

  /** Bytes before a record's encoded chunk: name, length and, in the current format, its checksum. */
  static int headerBytes(boolean checksummed) {
    return checksummed ? 32 + 4 + 4 : 32 + 4;
  }

  static byte[] magic(boolean checksummed) {
    return checksummed ? MAGIC : MAGIC_UNCHECKSUMMED;
  }

  /** One record: the chunk's hash, where its encoded bytes lie (after the header), and whether it has a checksum. */
  record Record(String hash, long offset, int length, boolean checksummed) {
    /** Header and encoded chunk. */
    long bytes() {
      return headerBytes(checksummed) + length;
    }

    ChunkLocation location(Path pack) {
      return new ChunkLocation(pack, offset, length, checksummed);
    }
  }

  /** A pack's records in file order, its size, and why reading stopped early (null when it read to the end). */
  record Contents(List<Record> records, long size, String problem) {}

  /**
   * Reads the record headers of a pack (or a fossil).
   *
   * @throws java.nio.file.NoSuchFileException when it vanished (another host's sweep moved it)
   */
  static Contents read(Path pack) throws IOException {
    List<Record> records = new ArrayList<>();
    try (FileChannel channel = FileChannel.open(pack, StandardOpenOption.READ)) {
      long size = channel.size();
      ByteBuffer magic = ByteBuffer.allocate(MAGIC_BYTES);
      try {
        readFully(channel, magic, 0);
      } catch (EOFException e) {
        return new Contents(records, size, NOT_A_PACK);
      }
      boolean checksummed = Arrays.equals(magic.array(), MAGIC);
      if (!checksummed && !Arrays.equals(magic.array(), MAGIC_UNCHECKSUMMED)) {
        return new Contents(records, size, NOT_A_PACK);
      }
      int headerBytes = headerBytes(checksummed);
      long position = MAGIC_BYTES;
      ByteBuffer header = ByteBuffer.allocate(headerBytes);
      byte[] hash = new byte[32];
      while (position < size) {
        if (size - position < headerBytes) {
          return new Contents(records, size, "is cut off at byte " + position);
        }
        header.clear();
        readFully(channel, header, position);
        header.flip();
        header.get(hash);
        int length = header.getInt();
        if (length <= 0 || position + headerBytes + length > size) {
          return new Contents(records, size, "is cut off at byte " + position);
        }
        records.add(new Record(HEX.formatHex(hash), position + headerBytes, length, checksummed));
        position += headerBytes + length;
      }
      return new Contents(records, size, null);
    }
  }

  static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
    while (buffer.hasRemaining()) {
      int n = channel.read(buffer, position + buffer.position());
      if (n < 0) {
        throw new EOFException();
      }
    }
  }

  /** The file name a pack gets when it is moved aside at {@code epochMillis}. */
  static String fossilName(Path pack, long epochMillis) {
    return pack.getFileName() + "." + epochMillis + FOSSIL_SUFFIX;
  }

  /** When a fossil was moved aside; empty for a name not made by {@link #fossilName}. */
  static OptionalLong fossilizedAt(Path fossil) {
    String name = fossil.getFileName().toString();
    if (!name.endsWith(FOSSIL_SUFFIX)) {
      return OptionalLong.empty();
    }
    String stem = name.substring(0, name.length() - FOSSIL_SUFFIX.length());
    int dot = stem.lastIndexOf('.');
    if (dot < 0 || !stem.substring(0, dot).endsWith(SUFFIX)) {
      return OptionalLong.empty();
    }
    try {
      return OptionalLong.of(Long.parseLong(stem.substring(dot + 1)));
    } catch (NumberFormatException e) {
      return OptionalLong.empty();
    }
  }

  /** The name the pack had before it was moved aside (the name it gets back). */
  static String packName(Path fossil) {
    String name = fossil.getFileName().toString();
    if (!name.endsWith(FOSSIL_SUFFIX)) {
      return name;
    }
    String stem = name.substring(0, name.length() - FOSSIL_SUFFIX.length());
    return stem.substring(0, stem.lastIndexOf('.'));
  }
}
