package org.vmqsc.agent.store;

import java.io.IOException;

/** The store has no room for what is being written (a full disk or the store's own capacity). */
public final class StoreFullException extends IOException {

  public StoreFullException(String message, Throwable cause) {
    super(message, cause);
  }
}
