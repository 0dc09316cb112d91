package com.cloud.resource;

import com.cloud.agent.api.Answer;
import com.cloud.agent.api.Command;
import com.cloud.utils.component.Manager;

/** Only the method this plugin names. */
public interface ServerResource extends Manager {
  Answer executeRequest(Command cmd);
}
