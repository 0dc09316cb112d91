package org.vmqsc.agent.store;

import java.io.IOException;

/**
 * Reads many chunks of one store, as a restore does: a store may keep files open and buffers allocated between
 * reads, which a single {@link CheckpointStore#readChunk} cannot. Not thread-safe; close it when done.
 */
public interface ChunkReader extends AutoCloseable {

  /** Same contract as {@link CheckpointStore#readChunk}. */
  byte[] read(String hash) throws IOException;

  @Override void close() throws IOException;
}
