package org.vmqsc.agent.store;

import java.io.IOException;

/** A stored chunk whose bytes do not decode to what its name promises. */
public final class CorruptChunkException extends IOException {

  private final String hash;

  public CorruptChunkException(String hash, String problem) {
    super("chunk " + hash + " is corrupt: " + problem);
    this.hash = hash;
  }

  public String hash() {
    return hash;
  }
}
