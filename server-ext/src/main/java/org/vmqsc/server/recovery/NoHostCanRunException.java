package org.vmqsc.server.recovery;

/**
 * A rolled-back VM has no live host that can run it: trying the recovery again at once cannot help (a host dying
 * under a recovery can), so it is not retried.
 */
public final class NoHostCanRunException extends IllegalStateException {

  public NoHostCanRunException(String message) {
    super(message);
  }
}
