package com.cloud.exception;

/** Declared with the constructor this plugin uses only. */
public abstract class InsufficientCapacityException extends CloudException {
  public InsufficientCapacityException(String msg, Class<?> scope, Long id) {
    super(msg);
  }
}
