package org.vmqsc.plugin.server.host;

import static org.vmqsc.plugin.server.host.CloudStackHosts.host;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.cloud.host.Host;
import com.cloud.host.Status;
import com.cloud.hypervisor.Hypervisor.HypervisorType;
import java.util.ArrayList;
import java.util.List;
import org.junit.Test;

/** Which hosts the plugin protects VMs on, and what a Down verdict on one starts. */
public class HostFailureListenerTest {

  private final KnownHosts hosts = new KnownHosts(4790);
  private final List<String> down = new ArrayList<>();
  private final HostFailureListener listener = new HostFailureListener(hosts, Runnable::run, down::add,
      id -> null, zone -> true);

  @Test
  public void kvmAndXenHostsAreProtectedOthersAreNot() {
    listener.processConnect(host(1, "kvm-1", HypervisorType.KVM), null, false);
    listener.processConnect(host(2, "xen-2", HypervisorType.XenServer), null, false);
    listener.processConnect(host(3, "vmware-3", HypervisorType.VMware), null, false);

    assertTrue(hosts.byUuid("kvm-1").isPresent());
    assertTrue(hosts.byUuid("xen-2").isPresent());
    assertTrue(hosts.byUuid("vmware-3").isEmpty());
  }

  @Test
  public void aXenHostFoundDownStartsARecoveryOneDisconnectedDoesNot() {
    listener.processConnect(host(2, "xen-2", HypervisorType.XenServer), null, false);
    listener.processConnect(host(4, "xen-4", HypervisorType.XenServer), null, false);

    listener.processDisconnect(4, Status.Disconnected);
    listener.processDisconnect(2, Status.Down);

    assertEquals(List.of("xen-2"), down);
  }
}
