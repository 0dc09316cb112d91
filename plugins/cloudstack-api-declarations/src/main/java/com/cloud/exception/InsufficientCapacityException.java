package com.cloud.exception;

/** Declared with the constructor this plugin uses only. */
public class InsufficientCapacityException extends CloudException {
  public InsufficientCapacityException(String message) {
    super(message);
  }
}
