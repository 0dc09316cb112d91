package org.vmqsc.agent.process;

import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.vmqsc.agent.driver.GuestMachines;

/**
 * What the tests of {@link RealGuests} stand in for a real guest with: a machine that is only its NIC (a UDP socket
 * in the test), restored rather than booted, and the frames guest 1 and guest 0 of a group exchange.
 */
final class StandInGuest {

  private StandInGuest() {}

  /** A machine that is only its NIC: restored, it listens on {@code nic}; whatever else it is asked does nothing. */
  abstract static class Machine implements GuestMachines {
    private final DatagramSocket nic;

    Machine(DatagramSocket nic) {
      this.nic = nic;
    }

    @Override public InetSocketAddress start(String name, int vm, int groupSize, InetSocketAddress relayEnd) {
      throw new UnsupportedOperationException("restored only");
    }

    @Override public void prepareCut(String name) {}

    @Override public void pause(String name) {}

    @Override public void resume(String name) {}

    @Override public InetSocketAddress restore(String name, int vm, Path memoryImage, Path disks,
                                               InetSocketAddress relayEnd) {
      return (InetSocketAddress) nic.getLocalSocketAddress();
    }

    @Override public void collect(String name, Path oldestKept) {}

    @Override public void destroy(String name) {}

    @Override public void close() {}
  }

  /** An Ethernet frame from guest 0 to guest {@code vm} carrying {@code text}. */
  static byte[] frameTo(int vm, String text) {
    return frame(RealGuests.mac(vm), RealGuests.mac(0), text);
  }

  /** An Ethernet frame from guest {@code vm} to guest 0 carrying {@code text}. */
  static byte[] frameFrom(int vm, String text) {
    return frame(RealGuests.mac(0), RealGuests.mac(vm), text);
  }

  private static byte[] frame(long destination, long source, String text) {
    byte[] body = text.getBytes();
    ByteBuffer frame = ByteBuffer.allocate(Math.max(60, 14 + body.length));
    putMac(frame, destination);
    putMac(frame, source);
    frame.putShort((short) 0x88B5);
    frame.put(body);
    return frame.array();
  }

  static void putMac(ByteBuffer b, long mac) {
    for (int i = 5; i >= 0; i--) b.put((byte) (mac >>> (8 * i)));
  }
}
