package com.cloud.agent;

import com.cloud.agent.api.AgentControlAnswer;
import com.cloud.agent.api.AgentControlCommand;
import com.cloud.agent.api.Answer;
import com.cloud.agent.api.Command;
import com.cloud.agent.api.StartupCommand;
import com.cloud.exception.ConnectionException;
import com.cloud.host.Host;
import com.cloud.host.Status;

public interface Listener {
  boolean processAnswers(long agentId, long seq, Answer[] answers);

  default boolean processAnswers(long agentId, String uuid, String name, long seq, Answer[] answers) {
    return processAnswers(agentId, seq, answers);
  }

  boolean processCommands(long agentId, long seq, Command[] commands);

  AgentControlAnswer processControlCommand(long agentId, AgentControlCommand cmd);

  void processHostAdded(long hostId);

  void processConnect(Host host, StartupCommand cmd, boolean forRebalance) throws ConnectionException;

  boolean processDisconnect(long agentId, Status state);

  default boolean processDisconnect(long agentId, String uuid, String name, Status state) {
    return processDisconnect(agentId, state);
  }

  void processHostAboutToBeRemoved(long hostId);

  void processHostRemoved(long hostId, long clusterId);

  boolean isRecurring();

  int getTimeout();

  boolean processTimeout(long agentId, long seq);
}
