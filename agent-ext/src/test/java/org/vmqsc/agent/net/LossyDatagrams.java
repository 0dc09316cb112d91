package org.vmqsc.agent.net;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.InetSocketAddress;
import java.util.Random;

/**
 * A network that loses, duplicates and reorders: wraps a real socket and, on the way out, drops a fraction of the
 * datagrams, sends a fraction twice, and holds a fraction back until after the next one. The fault-injection seam
 * for the tunnel tests; the tunnel's own logic runs unchanged on top.
 */
final class LossyDatagrams implements Datagrams {

  private final Datagrams real;
  private final Random random;
  private final double drop, duplicate, reorder;
  private DatagramPacket held;
  long dropped, duplicated, reordered;

  LossyDatagrams(Datagrams real, long seed, double drop, double duplicate, double reorder) {
    this.real = real;
    this.random = new Random(seed);
    this.drop = drop;
    this.duplicate = duplicate;
    this.reorder = reorder;
  }

  @Override public synchronized void send(DatagramPacket packet) throws IOException {
    DatagramPacket copy = new DatagramPacket(packet.getData().clone(), packet.getOffset(), packet.getLength(),
        packet.getSocketAddress());
    double r = random.nextDouble();
    if (r < drop) {
      dropped++;
      return;
    }
    if (r < drop + reorder && held == null) {
      reordered++;
      held = copy;
      return;
    }
    real.send(copy);
    if (r > 1 - duplicate) {
      duplicated++;
      real.send(copy);
    }
    if (held != null) {
      DatagramPacket late = held;
      held = null;
      real.send(late);
    }
  }

  @Override public void receive(DatagramPacket packet) throws IOException {
    real.receive(packet);
  }

  @Override public boolean receiveWaiting(DatagramPacket packet) throws IOException {
    return real.receiveWaiting(packet);
  }

  @Override public InetSocketAddress localAddress() {
    return real.localAddress();
  }

  @Override public boolean isClosed() {
    return real.isClosed();
  }

  @Override public void close() {
    real.close();
  }
}
