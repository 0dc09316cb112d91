package org.vmqsc.plugin.command;

/** Live migration, source side: hand the VM's protocol state out. Body: {@code EmigrateOrder}; answer: {@code Emigrated}. */
public class EmigrateVmCommand extends VmqscCommand {

  protected EmigrateVmCommand() {
  }

  public EmigrateVmCommand(String group, String body) {
    super(group, body);
  }
}
