package com.cloud.agent.api;

import java.util.HashMap;
import java.util.Map;

public abstract class Command {
  protected Map<String, String> contextMap = new HashMap<>();
  private int wait;

  protected Command() {
  }

  public int getWait() {
    return wait;
  }

  public void setWait(int wait) {
    this.wait = wait;
  }

  public abstract boolean executeInSequence();
}
