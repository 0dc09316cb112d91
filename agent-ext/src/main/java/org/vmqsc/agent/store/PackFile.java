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
 * The layout of a pack file ({@code [magic] ([32-byte SHA-256][4-byte length][encoded chunk])*}) and of the name a
 * pack gets when a {@link SharedStoreSweeper} moves it aside ({@code <pack name>.<epoch millis>.fossil}).
 */
final class PackFile {

  static final byte[] MAGIC = "VMQSCPK1".getBytes(StandardCharsets.US_ASCII);
  static final int RECORD_HEADER = 32 + 4;
  static final String SUFFIX = ".pack";
  static final String FOSSIL_SUFFIX = ".fossil";
  static final String NOT_A_PACK = "is not a chunk pack";
  private static final HexFormat HEX = HexFormat.of();

  private PackFile() {}

  /** One record: the chunk's hash, and the offset and length of its encoded bytes (after the header). */
  record Record(String hash, long offset, int length) {
    /** Header and encoded chunk. */
    long bytes() {
      return RECORD_HEADER + length;
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
      ByteBuffer magic = ByteBuffer.allocate(MAGIC.length);
      try {
        readFully(channel, magic, 0);
      } catch (EOFException e) {
        return new Contents(records, size, NOT_A_PACK);
      }
      if (!Arrays.equals(magic.array(), MAGIC)) {
        return new Contents(records, size, NOT_A_PACK);
      }
      long position = MAGIC.length;
      ByteBuffer header = ByteBuffer.allocate(RECORD_HEADER);
      byte[] hash = new byte[32];
      while (position < size) {
        if (size - position < RECORD_HEADER) {
          return new Contents(records, size, "is cut off at byte " + position);
        }
        header.clear();
        readFully(channel, header, position);
        header.flip();
        header.get(hash);
        int length = header.getInt();
        if (length <= 0 || position + RECORD_HEADER + length > size) {
          return new Contents(records, size, "is cut off at byte " + position);
        }
        records.add(new Record(HEX.formatHex(hash), position + RECORD_HEADER, length));
        position += RECORD_HEADER + length;
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
