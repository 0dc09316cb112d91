package org.vmqsc.plugin.command;

/**
 * Run a group on the host: its schedule (T0, each VM's class, base boundary 0), where its VMs run, which to boot.
 * Body: {@code Deploy}. It also names the host it is sent to, as CloudStack knows it (the agent reports under it),
 * and that host's relay address as the other hosts reach it (its tunnel opens there; null when unknown).
 */
public class DeployGroupCommand extends VmqscCommand {

  private String hostUuid;
  private String relay;

  protected DeployGroupCommand() {
  }

  public DeployGroupCommand(String group, String hostUuid, String body) {
    this(group, hostUuid, null, body);
  }

  public DeployGroupCommand(String group, String hostUuid, String relay, String body) {
    super(group, body);
    this.hostUuid = hostUuid;
    this.relay = relay;
  }

  public String getRelay() {
    return relay;
  }

  public String getHostUuid() {
    return hostUuid;
  }
}
