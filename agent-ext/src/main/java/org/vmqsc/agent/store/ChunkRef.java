package org.vmqsc.agent.store;

import com.google.gson.annotations.SerializedName;

/**
 * One piece of a memory image, in image order. {@code hash} is the SHA-256 (hex) of the raw bytes, or null for a
 * chunk of zeros, which is never stored (memory exclusion).
 */
public record ChunkRef(@SerializedName("h") String hash, @SerializedName("n") int length) {

  public static ChunkRef zeros(int length) {
    return new ChunkRef(null, length);
  }

  public boolean isZero() {
    return hash == null;
  }
}
