package com.cloud.exception;

import com.cloud.utils.exception.CloudRuntimeException;

public class PermissionDeniedException extends CloudRuntimeException {
  public PermissionDeniedException(String message) {
    super(message);
  }
}
