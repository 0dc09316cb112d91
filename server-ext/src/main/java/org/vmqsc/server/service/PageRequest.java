package org.vmqsc.server.service;

/** Which page of a listing to return: {@code limit} items starting at {@code offset}. */
public record PageRequest(int offset, int limit) {

  public static final int MAX_LIMIT = 1000;

  public PageRequest {
    if (offset < 0) {
      throw new IllegalArgumentException("page offset must be >= 0, got " + offset);
    }
    if (limit < 1 || limit > MAX_LIMIT) {
      throw new IllegalArgumentException("page limit must be between 1 and " + MAX_LIMIT + ", got " + limit);
    }
  }

  public static PageRequest first(int limit) {
    return new PageRequest(0, limit);
  }
}
