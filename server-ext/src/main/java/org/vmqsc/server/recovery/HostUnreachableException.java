package org.vmqsc.server.recovery;

/** The manager cannot reach a host: it is down, or cut off. */
public final class HostUnreachableException extends RuntimeException {

  public HostUnreachableException(String host, String why) {
    super("host " + host + " cannot be reached: " + why);
  }
}
