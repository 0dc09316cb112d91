package org.vmqsc.plugin.command;

/** The protection group was deleted: the host stops running it. Body: {@code GroupRef}. */
public class DropGroupCommand extends VmqscCommand {

  protected DropGroupCommand() {
  }

  public DropGroupCommand(String group, String body) {
    super(group, body);
  }
}
