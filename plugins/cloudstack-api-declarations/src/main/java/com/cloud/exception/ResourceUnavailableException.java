package com.cloud.exception;

/** Declared with the constructor this plugin uses only. */
public class ResourceUnavailableException extends CloudException {
  public ResourceUnavailableException(String message) {
    super(message);
  }
}
