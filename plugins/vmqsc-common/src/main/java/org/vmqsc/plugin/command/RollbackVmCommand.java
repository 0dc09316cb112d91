package org.vmqsc.plugin.command;

/** A VM was rolled back: drop what its discarded execution sent. Body: {@code RollbackOrder}. */
public class RollbackVmCommand extends VmqscCommand {

  protected RollbackVmCommand() {
  }

  public RollbackVmCommand(String group, String body) {
    super(group, body);
  }
}
