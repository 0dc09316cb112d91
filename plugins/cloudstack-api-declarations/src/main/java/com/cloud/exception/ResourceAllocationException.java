package com.cloud.exception;

/** Declared with the constructor this plugin uses only. */
public class ResourceAllocationException extends ManagementServerException {
  public ResourceAllocationException(String message) {
    super(message);
  }
}
