package org.vmqsc.plugin.command;

/** Run a group on the host: its schedule (T0, each VM's class, base boundary 0), where its VMs run, which to boot. Body: {@code Deploy}. */
public class DeployGroupCommand extends VmqscCommand {

  protected DeployGroupCommand() {
  }

  public DeployGroupCommand(String group, String body) {
    super(group, body);
  }
}
