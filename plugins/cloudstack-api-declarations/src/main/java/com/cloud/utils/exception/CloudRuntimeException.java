package com.cloud.utils.exception;

public class CloudRuntimeException extends RuntimeException {
  public CloudRuntimeException() {
  }

  public CloudRuntimeException(String message) {
    super(message);
  }

  public CloudRuntimeException(String message, Throwable th) {
    super(message, th);
  }
}
