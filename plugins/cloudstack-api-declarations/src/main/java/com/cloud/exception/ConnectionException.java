package com.cloud.exception;

/** Declared with the constructor this plugin uses only. */
public class ConnectionException extends CloudException {
  public ConnectionException(boolean setupError, String msg) {
    super(msg);
  }
}
