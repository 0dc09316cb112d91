package org.vmqsc.plugin.server.host;

import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import com.cloud.host.Host;
import com.cloud.hypervisor.Hypervisor.HypervisorType;

/** CloudStack's view of a host, as the tests of this package need it: host {@code id} has address 10.0.0.{@code id}. */
final class CloudStackHosts {

  private CloudStackHosts() {}

  static Host host(long id, String uuid, HypervisorType type) {
    Host h = mock(Host.class);
    when(h.getId()).thenReturn(id);
    when(h.getUuid()).thenReturn(uuid);
    when(h.getHypervisorType()).thenReturn(type);
    when(h.getPrivateIpAddress()).thenReturn("10.0.0." + id);
    return h;
  }
}
