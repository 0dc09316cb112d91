package org.vmqsc.plugin.server;

import org.apache.cloudstack.framework.config.ConfigKey;

/** The plugin's settings, as CloudStack shows them in listConfigurations and the UI (category "Advanced"). */
public final class VmqscSettings {

  private static final String CATEGORY = "Advanced";

  public static final ConfigKey<Boolean> ENABLED = new ConfigKey<>(CATEGORY, Boolean.class, "vmqsc.enabled", "true",
      "Whether vmqsc recovers its groups when a KVM or Xen host of this zone goes Down: when false, CloudStack"
          + " alone handles the host's failure.", true, ConfigKey.Scope.Zone);

  public static final ConfigKey<Long> DEFAULT_BASE_PERIOD_MS = new ConfigKey<>(CATEGORY, Long.class,
      "vmqsc.default.base.period", "60000",
      "The base checkpoint period T0 in milliseconds of a group created without baseperiod.", true,
      ConfigKey.Scope.Zone);

  public static final ConfigKey<String> DEFAULT_VM_CLASS = new ConfigKey<>(CATEGORY, String.class,
      "vmqsc.default.vm.class", "SI",
      "The checkpoint class of a VM added without vmclass: SI (every base period), MI_k (every k periods, k >= 2)"
          + " or MI_k@phase (at the base boundaries n with n mod k = phase, 0 <= phase < k).",
      true, ConfigKey.Scope.Zone);

  public static final ConfigKey<String> STAGING_DIRECTORY = new ConfigKey<>(CATEGORY, String.class,
      "vmqsc.staging.directory", "/var/lib/cloudstack/vmqsc/staging",
      "The folder on each KVM host where checkpoints are written before they reach stable storage (for Xen"
          + " hosts: on the management server, a subfolder per host).", false,
      ConfigKey.Scope.Cluster);

  public static final ConfigKey<String> STABLE_STORAGE = new ConfigKey<>(CATEGORY, String.class,
      "vmqsc.stable.storage", "/mnt/vmqsc",
      "The shared mount (e.g. of secondary storage) every host of the cluster writes stable checkpoints and logs to.",
      false, ConfigKey.Scope.Cluster);

  public static final ConfigKey<Long> FLUSH_BANDWIDTH = new ConfigKey<>(CATEGORY, Long.class,
      "vmqsc.flush.bandwidth", "104857600",
      "Bytes per second a host may spend copying checkpoints from staging to stable storage.", true,
      ConfigKey.Scope.Cluster);

  public static final ConfigKey<Long> LEASE_MS = new ConfigKey<>(CATEGORY, Long.class, "vmqsc.lease", "30000",
      "Milliseconds a host runs protected VMs without hearing from its management server; it stops them before"
          + " then, so that a recovery never runs a VM twice.", false, ConfigKey.Scope.Cluster);

  public static final ConfigKey<Long> HEARTBEAT_MS = new ConfigKey<>(CATEGORY, Long.class, "vmqsc.heartbeat",
      "5000", "Milliseconds between two checkpoint ticks to a host (each renews its lease and brings its reports"
          + " back); at most a third of vmqsc.lease.", false, ConfigKey.Scope.Cluster);

  public static final ConfigKey<Integer> CHECKPOINTS_KEPT = new ConfigKey<>(CATEGORY, Integer.class,
      "vmqsc.checkpoints.kept.behind.line", "0",
      "Checkpoints per VM kept behind the recovery line before they are collected (with the log segments after"
          + " them); 0 deletes each as soon as the line passes it. Read at every line move.", true,
      ConfigKey.Scope.Global);

  public static final ConfigKey<Long> STORAGE_GRACE_MS = new ConfigKey<>(CATEGORY, Long.class, "vmqsc.storage.grace",
      "3600000", "Milliseconds after which a checkpoint or log record on a host's staging directory or on stable"
          + " storage that vmqsc's tables no longer name is deleted as left over (a deleted group's, a discarded"
          + " execution's, one a host missed the collection of); the hosts are told once per this. Far longer than"
          + " vmqsc.lease. Read at start.", false, ConfigKey.Scope.Global);

  public static final ConfigKey<Boolean> DOMAIN_ADMINS = new ConfigKey<>(CATEGORY, Boolean.class,
      "vmqsc.domain.admins.enabled", "false",
      "Whether domain admins may protect their domain's VMs (they see and change only groups whose VMs they own).",
      true, ConfigKey.Scope.Domain);

  public static final ConfigKey<String> RELAY_NETWORK = new ConfigKey<>(CATEGORY, String.class, "vmqsc.relay.network",
      "", "The uuid of the zone's L2 network whose NICs carry protected VMs' traffic through vmqsc's relay (its"
          + " traffic label names the bridge each KVM agent's vmqsc.relay.bridge serves); a protected VM needs a NIC"
          + " on it. Empty: VMs are checkpointed, their messages are not logged, and a recovery is consistent only"
          + " for VMs that do not talk to each other. Read when a group is deployed on a host.", true,
      ConfigKey.Scope.Zone);

  public static final ConfigKey<String> XEN_RELAY_ADDRESS = new ConfigKey<>(CATEGORY, String.class,
      "vmqsc.xen.relay.address", "",
      "The IPv4 address of this management server that the dom0s of its Xen hosts and the KVM hosts reach: the relay"
          + " of each Xen host it holds runs here (UDP port 4791 upward, one per Xen host), with the VXLAN endpoint"
          + " every dom0's relay port points to (vmqsc-relay-port.sh --remote). Empty: Xen hosts' VMs are"
          + " checkpointed, their messages are not logged. Read when a Xen host connects.", false,
      ConfigKey.Scope.Global);

  public static final ConfigKey<Integer> XEN_RELAY_VNI = new ConfigKey<>(CATEGORY, Integer.class,
      "vmqsc.xen.relay.vni", "4790",
      "The VXLAN network identifier between the Xen hosts' relay ports and the management server (the --vni of"
          + " vmqsc-relay-port.sh in every dom0). Read when a group is deployed on a Xen host.", false,
      ConfigKey.Scope.Global);

  public static final ConfigKey<Integer> XEN_VXLAN_PORT = new ConfigKey<>(CATEGORY, Integer.class,
      "vmqsc.xen.vxlan.port", "4789",
      "The UDP port of the management server's VXLAN endpoint and of every dom0's relay port (the --port of"
          + " vmqsc-relay-port.sh). Read when a group is deployed on a Xen host.", false, ConfigKey.Scope.Global);

  static final ConfigKey<?>[] ALL = {ENABLED, DEFAULT_BASE_PERIOD_MS, DEFAULT_VM_CLASS, STAGING_DIRECTORY,
      STABLE_STORAGE, FLUSH_BANDWIDTH, LEASE_MS, HEARTBEAT_MS, CHECKPOINTS_KEPT, STORAGE_GRACE_MS, DOMAIN_ADMINS,
      RELAY_NETWORK, XEN_RELAY_ADDRESS, XEN_RELAY_VNI, XEN_VXLAN_PORT};

  private VmqscSettings() {}
}
