package org.vmqsc.agent.store;

import java.io.IOException;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Content-addressed chunks plus one manifest per checkpoint. The host's staging store and the stable store
 * (secondary storage) are both of this kind; a directory is one implementation, an object store can be another.
 *
 * <p>Rules every implementation keeps: a chunk is visible only once durably written; a manifest is written only
 * after the chunks it names are committed; stored data is never modified in place, only added or deleted.
 */
public interface CheckpointStore {

  /** A short description for error messages ("staging store /var/lib/..."). */
  String describe();

  /** True when the store holds a committed chunk with this hash. */
  boolean hasChunk(String hash);

  /**
   * Which of these chunks the store does not hold now, in the order given: what a writer must store again before
   * it writes a manifest naming them. A store that others collect while this host writes (a shared store, see
   * {@link SharedStoreSweeper}) looks more closely than {@link #hasChunk}; by default it is the chunks
   * {@link #hasChunk} denies.
   */
  default Set<String> notStored(Collection<String> hashes) throws IOException {
    Set<String> missing = new LinkedHashSet<>();
    for (String hash : hashes) {
      if (!hasChunk(hash)) {
        missing.add(hash);
      }
    }
    return missing;
  }

  /** Starts a batch of new chunks; see {@link ChunkWriter}. */
  ChunkWriter openWriter();

  /**
   * The encoded bytes of a chunk.
   *
   * @throws MissingChunkException when the store does not hold it
   * @throws CorruptChunkException when what is stored cannot be the chunk (truncated, or filed under another hash)
   */
  byte[] readChunk(String hash) throws IOException;

  /**
   * True when only this host's agent ever writes this store (the host's staging store, a directory only the agent
   * may open): then whoever could change a chunk in it could change its manifest as well, and a restore may check
   * chunks against the manifest's fingerprints instead of their SHA-256 names (see the engine's README). False by
   * default: a store other hosts write too is checked by SHA-256.
   */
  default boolean writtenOnlyByThisHost() {
    return false;
  }

  /**
   * Where the store keeps its committed copy of a chunk now, if it can tell; empty when it holds none or cannot
   * tell (by default). Stored data is never modified in place, so two answers that are equal name one copy with the
   * same bytes; a chunk deleted and stored again under the same name gets another place.
   */
  default Optional<ChunkLocation> locate(String hash) {
    return Optional.empty();
  }

  /** For reading many chunks (a restore); by default each read is a {@link #readChunk}. */
  default ChunkReader openReader() {
    return new ChunkReader() {
      @Override public byte[] read(String hash) throws IOException {
        return readChunk(hash);
      }

      @Override public void close() {}
    };
  }

  /**
   * Forgets a chunk found damaged, so that {@link #hasChunk} is false and the next writer stores it afresh. The
   * damaged bytes are never offered again, not even after the store is reopened; they are reclaimed with the rest
   * of the garbage.
   */
  void dropDamagedChunk(String hash) throws IOException;

  /** The hashes of all committed chunks. */
  Set<String> chunkHashes();

  /**
   * Deletes every chunk for which {@code keep} is false, reclaiming their space. Only the garbage collector calls
   * this, while it holds the {@link ChunkGuard}.
   *
   * @return how many chunks were deleted
   */
  int retainOnly(Predicate<String> keep) throws IOException;

  /** Writes a manifest atomically and durably: after a crash it is either wholly there or absent. */
  long putManifest(Manifest manifest) throws IOException;

  Optional<Manifest> manifest(CheckpointKey key) throws IOException;

  void deleteManifest(CheckpointKey key) throws IOException;

  /** When the manifest of {@code key} was written, by {@link #clock()}; empty when there is none. */
  Optional<java.time.Instant> manifestWritten(CheckpointKey key) throws IOException;

  /**
   * The time the store's own clock tells now, the one {@link #manifestWritten} is on: a shared store's is its file
   * server's, which no host's clock may contradict.
   */
  default java.time.Instant clock() throws IOException {
    return java.time.Instant.now();
  }

  /** All checkpoints with a manifest, sorted. */
  List<CheckpointKey> checkpoints() throws IOException;

  /** Bytes the store occupies (chunks and manifests). */
  long usedBytes();

  /** Coordinates garbage collection with writers of this store. */
  ChunkGuard guard();
}
