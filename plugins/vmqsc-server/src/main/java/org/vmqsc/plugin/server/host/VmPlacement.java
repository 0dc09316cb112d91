package org.vmqsc.plugin.server.host;

/**
 * Before a recovery restores a VM's memory on a host, the VM must run there as far as the cloud knows: CloudStack
 * records it Running on that host and defines it there, then the restore puts its checkpointed memory back.
 */
public interface VmPlacement {

  /** Idempotent: a VM already running on the host is left as it is. */
  void runOn(String vmUuid, String hostUuid);

  /** Whether the VM may run on the host at all (its disks are reachable there). */
  boolean canRun(String vmUuid, String hostUuid);
}
