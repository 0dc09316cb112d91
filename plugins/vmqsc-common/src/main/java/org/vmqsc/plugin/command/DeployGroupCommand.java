package org.vmqsc.plugin.command;

/**
 * Run a group on the host: its schedule (T0, each VM's class, base boundary 0), where its VMs run, which to boot.
 * Body: {@code Deploy}. It also names the host it is sent to, as CloudStack knows it (the agent reports under it),
 * and that host's relay address as the other hosts reach it (its tunnel opens there; null when unknown), and the
 * storage settings of the host's cluster (staging folder, stable storage mount, flush bandwidth), which the host's
 * agent opens its stores with when it has not yet. To a Xen host (whose node runs in the management server) it also
 * says where the relay reaches the host's dom0: the management server's VXLAN endpoint, its VNI, and the dom0's
 * address.
 */
public class DeployGroupCommand extends VmqscCommand {

  private String hostUuid;
  private String relay;
  private String stagingDirectory;
  private String stableStorage;
  private Long flushBandwidth;
  private Long leaseMillis;
  private String xenVxlanEndpoint;
  private Integer xenVni;
  private String xenDom0;

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

  /** The cluster's storage settings for the host (each may be null: the agent's own then). */
  public DeployGroupCommand withStorage(String stagingDirectory, String stableStorage, Long flushBandwidth) {
    this.stagingDirectory = stagingDirectory;
    this.stableStorage = stableStorage;
    this.flushBandwidth = flushBandwidth;
    return this;
  }

  /** How long the host runs the group's VMs without a tick from the manager (null: no lease). */
  public DeployGroupCommand withLease(Long leaseMillis) {
    this.leaseMillis = leaseMillis;
    return this;
  }

  /**
   * For a Xen host: the management server's VXLAN endpoint ({@code address:port}) that the relay port in the
   * host's dom0 ({@code dom0}'s address) sends its guests' frames to, with VNI {@code vni}.
   */
  public DeployGroupCommand withXenRelay(String vxlanEndpoint, Integer vni, String dom0) {
    this.xenVxlanEndpoint = vxlanEndpoint;
    this.xenVni = vni;
    this.xenDom0 = dom0;
    return this;
  }

  public String getXenVxlanEndpoint() {
    return xenVxlanEndpoint;
  }

  public Integer getXenVni() {
    return xenVni;
  }

  public String getXenDom0() {
    return xenDom0;
  }

  public Long getLeaseMillis() {
    return leaseMillis;
  }

  public String getStagingDirectory() {
    return stagingDirectory;
  }

  public String getStableStorage() {
    return stableStorage;
  }

  public Long getFlushBandwidth() {
    return flushBandwidth;
  }

  public String getHostUuid() {
    return hostUuid;
  }
}
