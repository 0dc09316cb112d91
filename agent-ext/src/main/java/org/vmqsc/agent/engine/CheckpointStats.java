package org.vmqsc.agent.engine;

/**
 * What storing one checkpoint cost. {@code storedBytes} is what this checkpoint added to the store (new chunks,
 * compressed, plus its manifest): the incremental size. {@code sha256Bytes} is how much of the image was SHA-256-hashed
 * (new or changed chunks not named by staging key, plus the audit sample of reused ones); {@code stagedBytes} how
 * much of it was stored under staging keys, to be SHA-256-hashed by the flush. {@code readBackNanos} is the time spent
 * reading back the stored copies of reused chunks and comparing them with the memory (see the engine's
 * {@code StoredCopies}), {@code readBackBytes} how many bytes of the image those reused chunks held: what a checkpoint
 * pays for not spreading a damaged copy. {@code cutAhead} tells whether the
 * image was cut on a thread of its own ahead of the storing (two cores busy instead of one, for less wall time).
 */
public record CheckpointStats(
    long imageBytes,
    long zeroBytes,
    long dedupBytes,
    long newChunkRawBytes,
    int chunks,
    int newChunks,
    long storedBytes,
    long manifestBytes,
    long sha256Bytes,
    long stagedBytes,
    long readBackNanos,
    long readBackBytes,
    boolean cutAhead) {

  public double storedFraction() {
    return imageBytes == 0 ? 0 : (double) storedBytes / imageBytes;
  }
}
