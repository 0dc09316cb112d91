package com.cloud.agent.api;

public class AgentControlAnswer extends Answer {
  public AgentControlAnswer() {
  }

  public AgentControlAnswer(Command command) {
    super(command);
  }
}
