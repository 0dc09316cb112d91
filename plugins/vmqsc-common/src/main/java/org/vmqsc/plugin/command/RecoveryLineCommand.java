package org.vmqsc.plugin.command;

/** The recovery line moved: the host collects the logs and checkpoints behind it. Body: {@code LineOrder}. */
public class RecoveryLineCommand extends VmqscCommand {

  protected RecoveryLineCommand() {
  }

  public RecoveryLineCommand(String group, String body) {
    super(group, body);
  }
}
