package org.vmqsc.agent.store;

import java.util.List;
import java.util.Map;

/**
 * What a checkpoint is: the ordered chunks of its memory image plus facts about how it was taken. A checkpoint
 * exists in a store exactly when its manifest does; the manifest is always written after every chunk it names.
 */
public record Manifest(
    int format,
    String vmId,
    String checkpointId,
    long createdAtMillis,
    long imageBytes,
    String chunker,
    Map<String, String> attributes,
    List<ChunkRef> chunks) {

  public static final int FORMAT = 1;

  public Manifest {
    attributes = Map.copyOf(attributes);
    chunks = List.copyOf(chunks);
  }

  /** Whether a chunk is named by a staging key: such a manifest belongs in the host's staging store only. */
  public boolean hasStagedChunks() {
    for (ChunkRef ref : chunks) {
      if (ref.staged()) {
        return true;
      }
    }
    return false;
  }

  public CheckpointKey key() {
    return new CheckpointKey(vmId, checkpointId);
  }

  /** Checks the manifest is internally consistent; a manifest read from disk must pass this before use. */
  public void validate() {
    validateEntries();
    String stagingPrefix = null;  // this VM's, computed at the first staged chunk
    for (ChunkRef ref : chunks) {
      if (ref.hash() != null && !ChunkHasher.isValidHex(ref.hash())) {
        throw malformedHash(ref);
      }
      if (ref.fingerprint() != null && (ref.hash() == null || !ChunkRef.isValidFingerprint(ref.fingerprint()))) {
        throw malformedFingerprint(ref);
      }
      if (ref.staged()) {
        if (stagingPrefix == null) {
          stagingPrefix = StagingKeys.prefix(vmId);
        }
        if (ref.hash() == null || ref.fingerprint() == null || !ref.hash().startsWith(stagingPrefix)
            || !ref.hash().endsWith(ref.fingerprint())) {
          throw notAStagingKey(ref);
        }
      }
    }
  }

  /**
   * The checks of {@link #validate} that do not read the chunks' names: the format, every entry present and not
   * empty, their lengths adding up to the image. A store writing a manifest checks the names as it encodes them
   * ({@code ManifestCodec.encode}), so that each name of a large manifest is read once.
   */
  public void validateEntries() {
    if (format != FORMAT) {
      throw new IllegalStateException("manifest of " + key() + " has format " + format + ", expected " + FORMAT);
    }
    long sum = 0;
    for (ChunkRef ref : chunks) {
      if (ref == null || ref.length() <= 0) {
        throw new IllegalStateException("manifest of " + key() + " has an empty or missing chunk entry");
      }
      sum += ref.length();
    }
    if (sum != imageBytes) {
      throw new IllegalStateException("manifest of " + key() + " lists " + sum + " bytes of chunks but an image of "
          + imageBytes + " bytes");
    }
  }

  IllegalStateException malformedHash(ChunkRef ref) {
    return new IllegalStateException("manifest of " + key() + " has a malformed chunk hash '" + ref.hash() + "'");
  }

  IllegalStateException malformedFingerprint(ChunkRef ref) {
    return new IllegalStateException("manifest of " + key() + " has a malformed chunk fingerprint '"
        + ref.fingerprint() + "'");
  }

  IllegalStateException notAStagingKey(ChunkRef ref) {
    return new IllegalStateException("manifest of " + key() + " names a chunk by '" + ref.hash()
        + "', which is not a staging key of this VM for its fingerprint");
  }
}
