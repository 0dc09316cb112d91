package org.vmqsc.plugin.command;

/** What the host holds of the group, for a recovery plan. Body: {@code GroupRef}; answer: {@code HostSnapshot}. */
public class SnapshotHostCommand extends VmqscCommand {

  protected SnapshotHostCommand() {
  }

  public SnapshotHostCommand(String group, String body) {
    super(group, body);
  }
}
