package org.vmqsc.plugin.command;

/** Hold the group still on the host while a recovery runs. Body: {@code GroupRef}. */
public class FreezeGroupCommand extends VmqscCommand {

  protected FreezeGroupCommand() {
  }

  public FreezeGroupCommand(String group, String body) {
    super(group, body);
  }
}
