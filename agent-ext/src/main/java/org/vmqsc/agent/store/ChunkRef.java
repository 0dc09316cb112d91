package org.vmqsc.agent.store;

import com.google.gson.annotations.SerializedName;

/**
 * One piece of a memory image, in image order. {@code hash} is the chunk's name in its store (hex): the SHA-256 of
 * the raw bytes, or, when {@code staged}, its staging key (see {@link StagingKeys}: the VM's namespace and the
 * chunk's fingerprint, only ever in the host's staging store); null for a chunk of zeros, which is never stored
 * (memory exclusion). {@code fingerprint} is the chunk's fast 128-bit fingerprint (32 hex digits, see the engine's
 * {@code Fingerprinter}), or null in manifests written before it existed: the engine derives its per-VM index of
 * known chunks from these entries only, so that index holds nothing a durable manifest does not.
 */
public record ChunkRef(
    @SerializedName("h") String hash,
    @SerializedName("n") int length,
    @SerializedName("f") String fingerprint,
    @SerializedName("s") boolean staged) {

  public ChunkRef(String hash, int length) {
    this(hash, length, null, false);
  }

  /** A chunk named by its SHA-256. */
  public ChunkRef(String hash, int length, String fingerprint) {
    this(hash, length, fingerprint, false);
  }

  /** A chunk named by its staging key (which holds {@code fingerprint}), not by SHA-256. */
  public static ChunkRef staged(String key, int length, String fingerprint) {
    return new ChunkRef(key, length, fingerprint, true);
  }

  public static ChunkRef zeros(int length) {
    return length % PAGE == 0 && length / PAGE < PAGES_OF_ZEROS.length ? PAGES_OF_ZEROS[length / PAGE]
        : new ChunkRef(null, length, null, false);
  }

  private static final int PAGE = 4096;
  /** Entries for runs of zero pages, shared: an image has as many such runs as chunks, and an entry never changes. */
  private static final ChunkRef[] PAGES_OF_ZEROS = new ChunkRef[65];

  static {
    for (int pages = 0; pages < PAGES_OF_ZEROS.length; pages++) {
      PAGES_OF_ZEROS[pages] = new ChunkRef(null, pages * PAGE, null, false);
    }
  }

  public boolean isZero() {
    return hash == null;
  }

  /** True for a well-formed fingerprint: 32 lower-case hex digits. */
  public static boolean isValidFingerprint(String fingerprint) {
    return ChunkHasher.isLowerHex(fingerprint, 32);
  }
}
