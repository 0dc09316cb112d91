package org.vmqsc.agent.store;

import java.io.IOException;

/** A chunk a manifest names but the store does not hold. */
public final class MissingChunkException extends IOException {

  private final String hash;

  public MissingChunkException(String hash, String where) {
    super("chunk " + hash + " is missing from " + where);
    this.hash = hash;
  }

  public String hash() {
    return hash;
  }
}
