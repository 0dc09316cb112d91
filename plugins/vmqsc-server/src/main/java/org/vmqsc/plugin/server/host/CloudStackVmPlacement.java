package org.vmqsc.plugin.server.host;

import com.cloud.deploy.DataCenterDeployment;
import com.cloud.exception.ConcurrentOperationException;
import com.cloud.exception.InsufficientCapacityException;
import com.cloud.exception.OperationTimedoutException;
import com.cloud.exception.ResourceUnavailableException;
import com.cloud.host.Host;
import com.cloud.utils.db.EntityManager;
import com.cloud.vm.VirtualMachine;
import com.cloud.vm.VirtualMachineManager;
import java.util.HashMap;
import java.util.Objects;

/**
 * A VM a recovery moves, started by CloudStack on the host the recovery chose: a VM CloudStack still has Running
 * on its failed host (already fenced) is first stopped in CloudStack's books (cleanup even though the host does not
 * answer), then started with a plan that names the target host. CloudStack's database then has it Running there,
 * and the restore that follows replaces its fresh memory with the checkpoint's.
 */
public final class CloudStackVmPlacement implements VmPlacement {

  private final EntityManager entities;
  private final VirtualMachineManager vms;

  public CloudStackVmPlacement(EntityManager entities, VirtualMachineManager vms) {
    this.entities = entities;
    this.vms = vms;
  }

  /**
   * Only in the VM's own cluster: its disks are on that cluster's primary storage, and CloudStack's own HA restarts
   * a VM there too. A VM CloudStack never placed may go anywhere its planner would take it.
   */
  @Override public boolean canRun(String vmUuid, String hostUuid) {
    VirtualMachine vm = entities.findByUuid(VirtualMachine.class, vmUuid);
    Host target = entities.findByUuid(Host.class, hostUuid);
    if (vm == null || target == null) return false;
    Long homeId = vm.getHostId() != null ? vm.getHostId() : vm.getLastHostId();
    if (homeId == null) return true;
    Host home = entities.findById(Host.class, homeId);
    return home == null || Objects.equals(home.getClusterId(), target.getClusterId());
  }

  @Override public void runOn(String vmUuid, String hostUuid) {
    VirtualMachine vm = entities.findByUuid(VirtualMachine.class, vmUuid);
    Host host = entities.findByUuid(Host.class, hostUuid);
    if (vm == null || host == null) {
      throw new IllegalStateException("CloudStack does not know VM " + vmUuid + " or host " + hostUuid);
    }
    boolean there = Objects.equals(vm.getHostId(), host.getId());
    if (vm.getState() == VirtualMachine.State.Running && there) return;
    try {
      if (vm.getState() != VirtualMachine.State.Stopped) vms.advanceStop(vmUuid, true); // fenced: only the books
      vms.advanceStart(vmUuid, new HashMap<>(), new DataCenterDeployment(host.getDataCenterId(), host.getPodId(),
          host.getClusterId(), host.getId(), null, null), null);
    } catch (InsufficientCapacityException | ResourceUnavailableException | ConcurrentOperationException
             | OperationTimedoutException e) {
      throw new IllegalStateException("CloudStack could not start VM " + vmUuid + " on host " + hostUuid + ": "
          + e.getMessage(), e);
    }
  }
}
