package org.vmqsc.agent.store;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Reads many chunks of one store, as a restore does: a store may keep files open and buffers allocated between
 * reads, which a single {@link CheckpointStore#readChunk} cannot. Not thread-safe; close it when done.
 */
public interface ChunkReader extends AutoCloseable {

  /** Same contract as {@link CheckpointStore#readChunk}. */
  byte[] read(String hash) throws IOException;

  /**
   * The stored (encoded) bytes of a chunk, from the buffer's position to its limit, without copying them out of
   * the reader's own buffer: valid only until the next call on this reader, and not to be written. Otherwise the
   * same contract as {@link #read}. By default a {@link #read} wrapped.
   */
  default ByteBuffer view(String hash) throws IOException {
    return ByteBuffer.wrap(read(hash));
  }

  /** What a record's own checksum says of a chunk's stored (encoded) bytes. */
  enum Checksum {
    /** The bytes are those written: a copy that decoded to its chunk then still does. */
    MATCHES,
    /** The bytes changed since they were written (or the checksum did): the copy is damaged. */
    DIFFERS,
    /** The store keeps no checksum for this copy (a pack written before checksums, another kind of store). */
    NONE
  }

  /**
   * Checks a chunk's stored bytes against the checksum written with them, without decoding them: much cheaper
   * than {@link #read} and a comparison, as a checkpoint does for every stored copy it reuses. Otherwise the same
   * contract as {@link #read}. By default {@link Checksum#NONE}.
   */
  default Checksum checksum(String hash) throws IOException {
    return Checksum.NONE;
  }

  @Override void close() throws IOException;
}
