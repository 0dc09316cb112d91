package org.vmqsc.agent.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;

/** Damages stored chunks on disk the way bit rot or a torn write would, for tests. */
public final class Damage {

  private Damage() {}

  /** Flips one bit of a chunk's stored bytes, {@code fromEnd} bytes before their end (0 = the middle). */
  public static void flipBit(DirectoryStore store, String hash, int fromEnd) throws IOException {
    ChunkLocation at = store.locate(hash).orElseThrow(() -> new AssertionError("no chunk " + hash));
    long position = at.offset() + (fromEnd == 0 ? at.length() / 2 : at.length() - fromEnd);
    try (FileChannel pack = FileChannel.open(at.pack(), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.allocate(1);
      pack.read(b, position);
      b.flip();
      byte flipped = (byte) (b.get() ^ 0x10);
      pack.write(ByteBuffer.wrap(new byte[] {flipped}), position);
    }
  }

  /** Flips one bit of the hash in a chunk's record header, so the record names another chunk. */
  public static void flipHeaderBit(DirectoryStore store, String hash) throws IOException {
    ChunkLocation at = store.locate(hash).orElseThrow(() -> new AssertionError("no chunk " + hash));
    long position = at.offset() - PackFile.headerBytes(at.checksummed()) + 5;
    try (FileChannel pack = FileChannel.open(at.pack(), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.allocate(1);
      pack.read(b, position);
      b.flip();
      pack.write(ByteBuffer.wrap(new byte[] {(byte) (b.get() ^ 0x01)}), position);
    }
  }

  /** Cuts a chunk's pack off a third of the way into the chunk. */
  public static void truncateInside(DirectoryStore store, String hash) throws IOException {
    ChunkLocation at = store.locate(hash).orElseThrow(() -> new AssertionError("no chunk " + hash));
    try (FileChannel pack = FileChannel.open(at.pack(), StandardOpenOption.WRITE)) {
      pack.truncate(at.offset() + at.length() / 3);
    }
  }
}
