package org.vmqsc.agent.engine;

import java.io.IOException;
import org.vmqsc.agent.store.CheckpointKey;

/** Taking or storing a checkpoint failed; earlier checkpoints are untouched and this one does not exist. */
public final class CheckpointFailedException extends IOException {

  private final CheckpointKey key;

  public CheckpointFailedException(CheckpointKey key, String reason, Throwable cause) {
    super("checkpoint " + key + " failed: " + reason, cause);
    this.key = key;
  }

  public CheckpointKey key() {
    return key;
  }
}
