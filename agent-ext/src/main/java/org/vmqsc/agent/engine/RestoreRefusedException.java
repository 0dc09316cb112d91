package org.vmqsc.agent.engine;

import java.io.IOException;
import org.vmqsc.agent.store.CheckpointKey;

/**
 * A checkpoint could not be reassembled intact, so nothing was handed to the hypervisor. Names the checkpoint and,
 * when one is to blame, the chunk (its hash and its position in the image).
 */
public final class RestoreRefusedException extends IOException {

  private final CheckpointKey key;
  private final String chunkHash;

  public RestoreRefusedException(CheckpointKey key, String chunkHash, String reason, Throwable cause) {
    super("restore of checkpoint " + key + " refused: " + reason, cause);
    this.key = key;
    this.chunkHash = chunkHash;
  }

  public CheckpointKey key() {
    return key;
  }

  /** The bad chunk's hash, or null when the problem is not one chunk (a missing manifest, say). */
  public String chunkHash() {
    return chunkHash;
  }
}
