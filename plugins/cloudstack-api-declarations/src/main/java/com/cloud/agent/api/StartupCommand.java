package com.cloud.agent.api;

public class StartupCommand extends Command {
  public StartupCommand() {
  }

  @Override public boolean executeInSequence() {
    return false;
  }
}
