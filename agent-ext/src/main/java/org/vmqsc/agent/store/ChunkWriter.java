package org.vmqsc.agent.store;

import java.io.IOException;

/**
 * Adds a batch of chunks to a store, all or nothing: nothing written is visible to anyone else until
 * {@link #commit()} has made it durable, and {@link #close()} without a commit throws it all away (a failed
 * checkpoint leaves no trace and frees its space at once).
 */
public interface ChunkWriter extends AutoCloseable {

  /** True when the store holds the chunk or this writer already added it. */
  boolean has(String hash);

  /**
   * Adds a chunk in its encoded form, unless {@link #has} it.
   *
   * @return bytes added (0 when it was there)
   * @throws StoreFullException when there is no room; the writer stays usable and loses nothing added before
   */
  long put(String hash, byte[] encoded, int offset, int length) throws IOException;

  /** {@link #put(String, byte[], int, int)} of a whole array. */
  default long put(String hash, byte[] encoded) throws IOException {
    return put(hash, encoded, 0, encoded.length);
  }

  /** Makes every added chunk durable and visible. */
  void commit() throws IOException;

  /** Discards everything not committed. */
  @Override void close() throws IOException;
}
