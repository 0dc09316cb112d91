package org.vmqsc.server.api;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.util.Collections;
import java.util.Optional;
import org.junit.Assume;
import org.junit.Rule;
import org.junit.Test;

/** By default the API listens on 127.0.0.1 only: another address of this machine does not reach it. */
public class ApiServerBindTest {

  @Rule public final ApiFixture api = new ApiFixture();

  @Test
  public void listensOnLoopbackOnly() throws Exception {
    assertEquals(ApiServer.DEFAULT_HOST, api.server.address().getHostString());
    assertTrue(api.server.endpoint().toString().startsWith("http://127.0.0.1:"));
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), api.server.port()), 2000);
    }
    Optional<InetAddress> other = otherAddress();
    Assume.assumeTrue("this machine has no address but loopback", other.isPresent());
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(other.get(), api.server.port()), 2000);
      fail("the API answered on " + other.get());
    } catch (IOException expected) {
      // refused: nothing listens there
    }
  }

  private static Optional<InetAddress> otherAddress() throws IOException {
    for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (!nic.isUp() || nic.isLoopback()) continue;
      for (InetAddress a : Collections.list(nic.getInetAddresses())) {
        if (a instanceof Inet4Address && !a.isLoopbackAddress()) return Optional.of(a);
      }
    }
    return Optional.empty();
  }
}
