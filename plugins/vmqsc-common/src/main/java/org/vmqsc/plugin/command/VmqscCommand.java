package org.vmqsc.plugin.command;

import com.cloud.agent.api.Command;

/**
 * An order of the vmqsc manager to one host. Its body is the order in agent-ext's JSON wire format
 * ({@code org.vmqsc.agent.wire.WireMessages}), so the classes CloudStack serialises stay plain strings and the
 * format is the one the standalone agents already speak.
 *
 * <p>Orders run in sequence on the agent: a host's node takes one event at a time, in the order its manager sent
 * them.
 */
public abstract class VmqscCommand extends Command {

  private String group;
  private String body;

  /** For CloudStack's deserialisation. */
  protected VmqscCommand() {
  }

  protected VmqscCommand(String group, String body) {
    this.group = group;
    this.body = body;
  }

  /** The protection group's uuid. */
  public String getGroup() {
    return group;
  }

  /** The order as JSON in the agents' wire format. */
  public String getBody() {
    return body;
  }

  @Override public boolean executeInSequence() {
    return true;
  }
}
