package com.cloud.exception;

/** Thrown when a host's agent cannot be reached. */
public class AgentUnavailableException extends ResourceUnavailableException {
  public AgentUnavailableException(String msg, long agentId) {
    super(msg, com.cloud.host.Host.class, agentId);
  }

  public AgentUnavailableException(long agentId) {
    super("Unable to reach host", com.cloud.host.Host.class, agentId);
  }
}
