package com.cloud.agent.api;

public class AgentControlCommand extends Command {
  public AgentControlCommand() {
  }

  @Override public boolean executeInSequence() {
    return false;
  }
}
