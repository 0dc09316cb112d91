package org.vmqsc.agent.engine;

/** Decides where a memory image is cut into chunks. Implementations are stateless and thread-safe. */
public interface Chunker {

  /** Stored in each manifest, so a restore can tell how a checkpoint was cut. */
  String name();

  /** No chunk is longer than this. */
  int maxChunkBytes();

  /**
   * Length of the chunk that starts at {@code offset}. {@code available} is at least {@link #maxChunkBytes()}
   * unless the image ends within it ({@code endOfImage}); the result is between 1 and min(available, max).
   */
  int nextChunk(byte[] buffer, int offset, int available, boolean endOfImage);
}
