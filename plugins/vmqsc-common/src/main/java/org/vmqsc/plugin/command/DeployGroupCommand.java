package org.vmqsc.plugin.command;

/**
 * Run a group on the host: its schedule (T0, each VM's class, base boundary 0), where its VMs run, which to boot.
 * Body: {@code Deploy}. It also names the host it is sent to, as CloudStack knows it: the agent reports under it.
 */
public class DeployGroupCommand extends VmqscCommand {

  private String hostUuid;

  protected DeployGroupCommand() {
  }

  public DeployGroupCommand(String group, String hostUuid, String body) {
    super(group, body);
    this.hostUuid = hostUuid;
  }

  public String getHostUuid() {
    return hostUuid;
  }
}
