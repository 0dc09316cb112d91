package com.cloud.exception;

/** Declared with the constructor this plugin uses only. */
public class ConcurrentOperationException extends CloudException {
  public ConcurrentOperationException(String message) {
    super(message);
  }
}
