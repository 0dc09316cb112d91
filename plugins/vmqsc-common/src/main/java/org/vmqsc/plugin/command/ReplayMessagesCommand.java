package org.vmqsc.plugin.command;

/** Deliver a rolled-back VM's replays in order. Body: {@code ReplayOrder}. */
public class ReplayMessagesCommand extends VmqscCommand {

  protected ReplayMessagesCommand() {
  }

  public ReplayMessagesCommand(String group, String body) {
    super(group, body);
  }
}
