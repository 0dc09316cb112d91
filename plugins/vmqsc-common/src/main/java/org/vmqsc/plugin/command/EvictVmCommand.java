package org.vmqsc.plugin.command;

/** A VM must stop on this host: a recovery restores it elsewhere. Body: {@code GuestOrder}. */
public class EvictVmCommand extends VmqscCommand {

  protected EvictVmCommand() {
  }

  public EvictVmCommand(String group, String body) {
    super(group, body);
  }
}
