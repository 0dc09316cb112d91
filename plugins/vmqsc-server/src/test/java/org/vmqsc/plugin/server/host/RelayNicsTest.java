package org.vmqsc.plugin.server.host;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import com.cloud.network.Network;
import com.cloud.network.NetworkModel;
import com.cloud.utils.db.EntityManager;
import com.cloud.vm.Nic;
import com.cloud.vm.VirtualMachine;
import java.util.Map;
import org.junit.Before;
import org.junit.Test;

/** A VM's MAC on its zone's relay network, as the hosts' relays need it; none when the VM has no NIC there. */
public class RelayNicsTest {

  private static final String VM = "0c5d7e9a-0000-4000-8000-000000000001";
  private static final String NETWORK = "0c5d7e9a-0000-4000-8000-0000000000ff";

  private final EntityManager entities = mock(EntityManager.class);
  private final NetworkModel networks = mock(NetworkModel.class);
  private final VirtualMachine vm = mock(VirtualMachine.class);
  private final Network relay = mock(Network.class);

  @Before public void aVmInZone7() {
    when(vm.getId()).thenReturn(41L);
    when(vm.getDataCenterId()).thenReturn(7L);
    when(entities.findByUuid(VirtualMachine.class, VM)).thenReturn(vm);
    when(relay.getId()).thenReturn(300L);
    when(relay.getName()).thenReturn("vmqsc-relay");
    when(entities.findByUuid(Network.class, NETWORK)).thenReturn(relay);
  }

  private RelayNics nics(Map<Long, String> relayNetworkByZone) {
    return new RelayNics(entities, networks, zone -> relayNetworkByZone.getOrDefault(zone, ""));
  }

  @Test public void theMacOfTheVmsNicOnItsZonesRelayNetwork() {
    Nic nic = mock(Nic.class);
    when(nic.getMacAddress()).thenReturn("1e:00:a2:00:00:2c");
    when(networks.getNicInNetwork(41L, 300L)).thenReturn(nic);
    assertEquals("1e:00:a2:00:00:2c", nics(Map.of(7L, NETWORK)).macOf(VM));
  }

  @Test public void noMacWithoutANicThereWithoutARelayNetworkOrForAnUnknownNetworkOrVm() {
    assertNull("no NIC on the relay network", nics(Map.of(7L, NETWORK)).macOf(VM));
    assertNull("no relay network in the VM's zone", nics(Map.of(8L, NETWORK)).macOf(VM));
    assertNull("a setting naming no network", nics(Map.of(7L, "not-a-network")).macOf(VM));
    assertNull("an unknown VM", nics(Map.of(7L, NETWORK)).macOf("no-such-vm"));
  }
}
