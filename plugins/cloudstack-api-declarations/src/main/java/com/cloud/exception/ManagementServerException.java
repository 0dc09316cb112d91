package com.cloud.exception;

/** The checked base of several management-server exceptions. */
public class ManagementServerException extends CloudException {
  public ManagementServerException(String message) {
    super(message);
  }
}
