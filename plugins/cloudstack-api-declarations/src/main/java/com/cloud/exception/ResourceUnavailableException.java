package com.cloud.exception;

/** Declared with the constructor this plugin uses only. */
public class ResourceUnavailableException extends CloudException {
  public ResourceUnavailableException(String msg, Class<?> scope, long resourceId) {
    super(msg);
  }
}
