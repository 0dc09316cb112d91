package org.vmqsc.plugin.command;

/** The group runs on after a recovery. Body: {@code GroupRef}. */
public class ThawGroupCommand extends VmqscCommand {

  protected ThawGroupCommand() {
  }

  public ThawGroupCommand(String group, String body) {
    super(group, body);
  }
}
