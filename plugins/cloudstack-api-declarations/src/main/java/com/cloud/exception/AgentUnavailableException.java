package com.cloud.exception;

public class AgentUnavailableException extends CloudException {
  public AgentUnavailableException(String msg, long agentId) {
    super(msg);
  }

  public AgentUnavailableException(long agentId) {
    super("Unable to reach host");
  }
}
