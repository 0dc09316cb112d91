package org.vmqsc.plugin.command;

/** A VM runs on another host now: route its frames there and resend what it may have missed. Body: {@code PlacementOrder}. */
public class PlacementCommand extends VmqscCommand {

  protected PlacementCommand() {
  }

  public PlacementCommand(String group, String body) {
    super(group, body);
  }
}
