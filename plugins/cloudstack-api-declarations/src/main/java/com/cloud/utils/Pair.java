package com.cloud.utils;

public class Pair<T, U> {
  private T t;
  private U u;

  public Pair(T t, U u) {
    this.t = t;
    this.u = u;
  }

  public T first() {
    return t;
  }

  public U second() {
    return u;
  }
}
