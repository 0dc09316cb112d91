package org.vmqsc.plugin.command;

/** Run a VM here from now on, rebuilt to its state at the recovery line. Body: {@code RestoreOrder}. */
public class RestoreVmCommand extends VmqscCommand {

  protected RestoreVmCommand() {
  }

  public RestoreVmCommand(String group, String body) {
    super(group, body);
  }
}
