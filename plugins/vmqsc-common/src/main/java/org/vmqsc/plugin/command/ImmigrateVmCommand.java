package org.vmqsc.plugin.command;

/** Live migration, target side: take the migrated VM over. Body: {@code ImmigrateOrder}. */
public class ImmigrateVmCommand extends VmqscCommand {

  protected ImmigrateVmCommand() {
  }

  public ImmigrateVmCommand(String group, String body) {
    super(group, body);
  }
}
