package com.cloud.exception;

import com.cloud.utils.exception.CloudRuntimeException;

/** Declared with the constructor this plugin uses only. */
public class ConcurrentOperationException extends CloudRuntimeException {
  public ConcurrentOperationException(String message) {
    super(message);
  }
}
