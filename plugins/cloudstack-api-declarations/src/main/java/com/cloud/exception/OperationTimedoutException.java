package com.cloud.exception;

import com.cloud.agent.api.Command;

public class OperationTimedoutException extends CloudException {
  public OperationTimedoutException(Command[] cmds, long agentId, long seqId, int time, boolean isActive) {
    super("Commands " + seqId + " to Host " + agentId + " timed out after " + time);
  }
}
