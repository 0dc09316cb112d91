package com.cloud.exception;

/** Declared with the constructor this plugin uses only. */
public class NetworkRuleConflictException extends ManagementServerException {
  public NetworkRuleConflictException(String message) {
    super(message);
  }
}
