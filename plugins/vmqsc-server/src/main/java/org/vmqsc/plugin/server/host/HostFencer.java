package org.vmqsc.plugin.server.host;

import com.cloud.ha.FenceBuilder;
import com.cloud.host.Host;
import com.cloud.utils.db.EntityManager;
import com.cloud.vm.VirtualMachine;
import java.util.List;
import java.util.function.Supplier;
import org.vmqsc.server.service.ProtectionService;
import org.vmqsc.server.service.Views.MemberView;

/**
 * Fences a failed host's protected VMs with CloudStack's own fencers (KVMFencer and any other {@link FenceBuilder}
 * bean): a VM restored elsewhere must never run twice, so every protected VM of the host needs a fencer's yes
 * before any restore. A fencer answers true (fenced), false (could not) or null (not its kind of host).
 */
public final class HostFencer {

  private final ProtectionService service;
  private final EntityManager entities;
  private final Supplier<List<FenceBuilder>> fencers;

  public HostFencer(ProtectionService service, EntityManager entities, Supplier<List<FenceBuilder>> fencers) {
    this.service = service;
    this.entities = entities;
    this.fencers = fencers;
  }

  /** @throws IllegalStateException when a protected VM of the host could not be fenced: no recovery may run */
  public void fence(String hostUuid) {
    Host host = entities.findByUuid(Host.class, hostUuid);
    if (host == null) throw new IllegalStateException("host " + hostUuid + " is unknown to CloudStack: cannot fence it");
    for (String group : service.groupsOnHost(hostUuid)) {
      for (MemberView m : service.members(group)) {
        if (!hostUuid.equals(m.hostUuid())) continue;
        VirtualMachine vm = entities.findByUuid(VirtualMachine.class, m.vmUuid());
        if (vm == null) throw new IllegalStateException("VM " + m.vmUuid() + " of group " + group + " is unknown to CloudStack");
        fence(vm, host);
      }
    }
  }

  private void fence(VirtualMachine vm, Host host) {
    for (FenceBuilder f : fencers.get()) {
      if (Boolean.TRUE.equals(f.fenceOff(vm, host))) return;
    }
    throw new IllegalStateException("no fencer could fence VM " + vm.getUuid() + " on host " + host.getUuid()
        + ": its group is not recovered until the host is fenced (check the cluster's fencing, then recover it)");
  }
}
