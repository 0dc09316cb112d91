package org.vmqsc.agent.store;

import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Content-addressed chunks plus one manifest per checkpoint. The host's staging store and the stable store
 * (secondary storage) are both of this kind; a directory is one implementation, an object store can be another.
 *
 * <p>Rules every implementation keeps: a chunk is visible only once completely written; a manifest is written
 * only after the chunks it names; neither is ever modified in place, only created or deleted.
 */
public interface CheckpointStore {

  /** A short description for error messages ("staging store /var/lib/..."). */
  String describe();

  boolean hasChunk(String hash);

  /**
   * Stores a chunk in its encoded form unless one with that hash is present.
   *
   * @return the bytes newly written (0 when the chunk was present)
   * @throws StoreFullException when there is no room; nothing partial remains
   */
  long putChunk(String hash, byte[] encoded) throws IOException;

  /** The encoded bytes of a chunk. @throws MissingChunkException when the store does not hold it */
  byte[] readChunk(String hash) throws IOException;

  void deleteChunk(String hash) throws IOException;

  /** The hashes of all chunks held. */
  Set<String> chunkHashes();

  /**
   * Makes every chunk written so far durable. Writers call it before writing a manifest that names them; a store
   * that writes each chunk durably anyway does nothing.
   */
  void sync() throws IOException;

  /** Writes a manifest atomically and durably: after a crash it is either wholly there or absent. */
  long putManifest(Manifest manifest) throws IOException;

  Optional<Manifest> manifest(CheckpointKey key) throws IOException;

  void deleteManifest(CheckpointKey key) throws IOException;

  /** All checkpoints with a manifest, sorted. */
  List<CheckpointKey> checkpoints() throws IOException;

  /** Bytes the store occupies (chunks and manifests). */
  long usedBytes();

  /** Coordinates garbage collection with writers of this store. */
  ChunkGuard guard();
}
