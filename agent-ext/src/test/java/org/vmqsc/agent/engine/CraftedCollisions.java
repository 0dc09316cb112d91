package org.vmqsc.agent.engine;

import org.vmqsc.agent.store.CheckpointStore;

/**
 * Fingerprints that collide on purpose, standing in for XXH3 collisions a guest crafted, and engines that name new
 * chunks by staging key with them: for tests of what such a collision does to staged chunks, their flush and their
 * collection (the engine's own constructor with a colliding fingerprint never uses staging keys).
 */
public final class CraftedCollisions {

  /** XXH3-128 of a chunk's first 64 bytes only: chunks that begin alike collide, whatever follows, at any length. */
  public static final Fingerprinter FIRST_BYTES = new Fingerprinter() {
    private final Fingerprinter xxh3 = Fingerprinter.xxh3();

    @Override public void fingerprint(byte[] bytes, int offset, int length, long[] out) {
      xxh3.fingerprint(bytes, offset, Math.min(64, length), out);
    }
  };

  private CraftedCollisions() {}

  /** An engine that names new chunks by staging key holding {@code fingerprinter}'s fingerprints. */
  public static CheckpointEngine stagingEngine(CheckpointStore store, Chunker chunker, Fingerprinter fingerprinter) {
    return new CheckpointEngine(store, ChunkerChoice.always(chunker), fingerprinter, true);
  }
}
