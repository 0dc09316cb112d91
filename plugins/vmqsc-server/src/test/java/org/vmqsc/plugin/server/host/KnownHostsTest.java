package org.vmqsc.plugin.server.host;

import static org.vmqsc.plugin.server.host.CloudStackHosts.host;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import com.cloud.host.Host;
import com.cloud.hypervisor.Hypervisor.HypervisorType;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.Test;

/**
 * Where each host's relay is: a KVM host's in its agent, on its own address; a Xen host's in this management server
 * (its node runs here), on the server's relay address, at a port of its own that it keeps while the server runs.
 */
public class KnownHostsTest {

  private final AtomicReference<String> xenAddress = new AtomicReference<>("192.0.2.10");
  private final KnownHosts hosts = new KnownHosts(4790, xenAddress::get);

  @Test public void aKvmHostsRelayIsItsOwnAXenHostsIsOnTheManagementServerAtAPortOfItsOwn() {
    hosts.connected(host(1, "kvm-1", HypervisorType.KVM));
    hosts.connected(host(2, "xen-2", HypervisorType.XenServer));
    hosts.connected(host(3, "xen-3", HypervisorType.XenServer));

    KnownHosts.KnownHost kvm = hosts.byUuid("kvm-1").orElseThrow();
    assertEquals("10.0.0.1:4790", kvm.relay());
    assertFalse(kvm.xen());
    KnownHosts.KnownHost xen2 = hosts.byUuid("xen-2").orElseThrow();
    assertEquals("192.0.2.10:4791", xen2.relay());
    assertEquals("its dom0's address", "10.0.0.2", xen2.address());
    assertTrue(xen2.xen());
    assertEquals("192.0.2.10:4792", hosts.byUuid("xen-3").orElseThrow().relay());

    hosts.disconnected(2);
    hosts.connected(host(2, "xen-2", HypervisorType.XenServer));
    assertEquals("a Xen host that connects again keeps its port", "192.0.2.10:4791",
        hosts.byUuid("xen-2").orElseThrow().relay());
  }

  @Test public void withoutTheManagementServersRelayAddressAXenHostHasNoRelay() {
    xenAddress.set("");
    hosts.connected(host(2, "xen-2", HypervisorType.XenServer));
    assertNull(hosts.byUuid("xen-2").orElseThrow().relay());
    assertEquals("KVM hosts are not concerned", "10.0.0.1:4790",
        connected(host(1, "kvm-1", HypervisorType.KVM)).relay());
  }

  private KnownHosts.KnownHost connected(Host h) {
    hosts.connected(h);
    return hosts.byUuid(h.getUuid()).orElseThrow();
  }
}
