package org.vmqsc.agent.xen;

import static org.hamcrest.CoreMatchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThat;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.time.Duration;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * The relay VIF against the loopback pool master: made once, on a host-internal network only, whose MTU leaves room
 * for VXLAN.
 */
public class RelayNetworkTest {

  private FakeXapi pool;
  private XapiSession xapi;

  @Before public void setUp() throws IOException {
    pool = new FakeXapi();
    pool.addRunningVm("i-2-34-VM", new byte[4096]);
    xapi = XapiSession.withPassword(pool.url(), FakeXapi.USER, FakeXapi.PASSWORD, 3, Duration.ofMillis(10));
  }

  @After public void tearDown() {
    xapi.close();
    pool.close();
  }

  @Test public void aVmGetsOneVifOnTheHostInternalNetworkAndTheRelayItsBridge() throws IOException {
    FakeXapi.Net net = pool.addNetwork("vmqsc-relay", "xapi7", false);
    RelayNetwork relay = new RelayNetwork(xapi, "vmqsc-relay");

    RelayNetwork.Attachment first = relay.attach("i-2-34-VM");
    RelayNetwork.Attachment again = relay.attach("i-2-34-VM");

    assertEquals(new RelayNetwork.Attachment("0", "xapi7", true), first);
    assertEquals(new RelayNetwork.Attachment("0", "xapi7", false), again);
    FakeXapi.Vif vif = pool.vifsOf(pool.vmNamed("i-2-34-VM")).get(0);
    assertEquals(net.ref(), vif.network());
    assertEquals(1, pool.vifsOf(pool.vmNamed("i-2-34-VM")).size());
    assertTrue(vif.record().toString().contains(RelayNetwork.MARK));
  }

  @Test public void aNetworkWithAPhysicalInterfaceIsRefused() throws IOException {
    pool.addNetwork("vmqsc-relay", "xenbr0", true);
    try {
      new RelayNetwork(xapi, "vmqsc-relay").attach("i-2-34-VM");
      fail("frames would bypass the relay");
    } catch (IOException e) {
      assertThat(e.getMessage(), containsString("needs a host-internal network (no PIF)"));
    }
    assertTrue(pool.vifsOf(pool.vmNamed("i-2-34-VM")).isEmpty());
  }

  @Test public void aNetworkWhoseFramesWouldNotFitInVxlanIsRefusedWithTheCommandThatFixesIt() throws IOException {
    FakeXapi.Net net = pool.addNetwork("vmqsc-relay", "xapi7", false, 1500);
    try {
      new RelayNetwork(xapi, "vmqsc-relay").attach("i-2-34-VM");
      fail("a 1500-byte frame with VXLAN's 50 bytes does not fit in 1500");
    } catch (IOException e) {
      assertThat(e.getMessage(), containsString("has MTU 1500"));
      assertThat(e.getMessage(), containsString("xe network-param-set uuid=" + net.uuid() + " MTU=1450"));
    }
    assertTrue(pool.vifsOf(pool.vmNamed("i-2-34-VM")).isEmpty());
    assertFalse(pool.calls.contains("VIF.create"));
  }

  @Test public void theVifTakesTheNetworksMtu() throws IOException {
    pool.addRunningVm("i-2-35-VM", new byte[4096]);
    pool.addNetwork("vmqsc-relay", "xapi7", false, 1450);
    pool.addNetwork("vmqsc-relay-small", "xapi8", false, 1400);

    new RelayNetwork(xapi, "vmqsc-relay").attach("i-2-34-VM");
    new RelayNetwork(xapi, "vmqsc-relay-small").attach("i-2-35-VM");

    // XAPI's int64s travel as strings: what the driver sent in VIF.create, as the pool recorded it.
    assertEquals("1450", pool.vifsOf(pool.vmNamed("i-2-34-VM")).get(0).record().get("MTU"));
    assertEquals("1400", pool.vifsOf(pool.vmNamed("i-2-35-VM")).get(0).record().get("MTU"));
  }

  @Test public void aMissingNetworkSaysHowToMakeIt() throws IOException {
    try {
      new RelayNetwork(xapi, "vmqsc-relay").attach("i-2-34-VM");
      fail("no network");
    } catch (IOException e) {
      assertThat(e.getMessage(), containsString("xe network-create name-label=vmqsc-relay"));
    }
    assertFalse(pool.calls.contains("VIF.create"));
  }
}
