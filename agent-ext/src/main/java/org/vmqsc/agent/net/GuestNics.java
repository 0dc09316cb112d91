package org.vmqsc.agent.net;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.Map;
import java.util.Queue;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The host end of the NICs of one group's guests on this host: a small Ethernet switch with one port per guest.
 * Each guest has a virtio-net NIC whose backend is a UDP socket (QEMU's socket netdev, libvirt's
 * {@code <interface type='udp'>}): every datagram between the guest's port and its port here is one whole Ethernet
 * frame, and the guest sees an ordinary Ethernet card.
 *
 * <p>The switch knows the MAC of every VM of the group (fixed when the group is deployed, wherever each VM runs), so
 * it neither learns nor floods beyond the group: a unicast frame goes to the VM with that MAC, a broadcast or
 * multicast frame to every other VM of the group, a frame for a MAC outside the group nowhere. A frame whose source
 * is not its guest's own MAC is dropped. Each (frame, receiving VM) pair is handed to the {@link Uplink}, which makes
 * it a message of the protocol (stamped, logged, carried to the receiver's host); the switch itself stamps, logs
 * and holds nothing.
 *
 * <p>Threads: one selector thread reads every port and queues the frames per port; the runtime takes them on its
 * own executor, in the order each guest sent them. {@link #cut} lets the runtime take, on its thread, every frame
 * a guest has sent so far: called while the guest is paused, it draws the line between the frames sent before a
 * checkpoint and those sent after it.
 */
public final class GuestNics implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(GuestNics.class.getName());
  private static final int RECEIVE_BUFFER_BYTES = 4 << 20;

  /** Where the frames the guests send go, on the runtime's executor. */
  public interface Uplink {
    /** VM {@code from} sent {@code frame} (owned by the callee from now on) and VM {@code to} is to receive it. */
    void fromGuest(int from, int to, byte[] frame);
  }

  /** What the switch has seen since it started. */
  public record Counts(long fromGuests, long toGuests, long malformed, long spoofed, long unknownDestination) {}

  private final class Port {
    final int vm;
    final DatagramChannel channel;
    /** The guest's own end of its NIC; null until its machine has started. */
    volatile InetSocketAddress guestEnd;
    /** Frames read from the socket and not yet handed on; filled under the port's lock. */
    final Queue<byte[]> read = new ConcurrentLinkedQueue<>();
    final ByteBuffer buffer = ByteBuffer.allocateDirect(Ethernet.MAX_FRAME_BYTES + 1);

    Port(int vm, DatagramChannel channel, InetSocketAddress guestEnd) {
      this.vm = vm;
      this.channel = channel;
      this.guestEnd = guestEnd;
    }

    /** Moves whatever the socket holds into {@link #read}; returns whether anything came. */
    synchronized boolean drainSocket() throws IOException {
      boolean any = false;
      while (true) {
        buffer.clear();
        if (channel.receive(buffer) == null) return any;
        buffer.flip();
        byte[] frame = new byte[buffer.remaining()];
        buffer.get(frame);
        read.add(frame);
        any = true;
      }
    }
  }

  private final String group;
  private final Map<Integer, Long> macs;
  private final Map<Long, Integer> vmByMac = new TreeMap<>();
  private final Executor runtime;
  private final Uplink uplink;
  private final Selector selector;
  private final Thread reader;
  private final Map<Integer, Port> ports = new ConcurrentHashMap<>();
  private final Queue<Port> toRegister = new ConcurrentLinkedQueue<>();
  private final AtomicLong fromGuests = new AtomicLong(), toGuests = new AtomicLong(), malformed = new AtomicLong(),
      spoofed = new AtomicLong(), unknownDestination = new AtomicLong();
  private volatile boolean closed;

  /**
   * @param macs    every VM of the group → its NIC's MAC (48 bits), wherever it runs
   * @param runtime the single thread frames are handed on (the group's runtime)
   */
  public GuestNics(String group, Map<Integer, Long> macs, Executor runtime, Uplink uplink) throws IOException {
    this.group = group;
    this.macs = Map.copyOf(macs);
    for (Map.Entry<Integer, Long> e : macs.entrySet()) {
      long mac = e.getValue();
      if (Ethernet.isGroupAddress(mac) || mac == 0) {
        throw new IllegalArgumentException("VM " + e.getKey() + "'s MAC " + Ethernet.formatMac(mac) + " is not a unicast address");
      }
      Integer other = vmByMac.put(mac, e.getKey());
      if (other != null) {
        throw new IllegalArgumentException("VMs " + other + " and " + e.getKey() + " have the same MAC " + Ethernet.formatMac(mac));
      }
    }
    this.runtime = runtime;
    this.uplink = uplink;
    this.selector = Selector.open();
    this.reader = new Thread(this::readLoop, "vmqsc-nics-" + group);
    reader.setDaemon(true);
    reader.start();
  }

  /**
   * Opens VM {@code vm}'s port: a UDP socket on loopback whose peer is the guest's NIC at {@code guestEnd}.
   * Returns the port's address, which the guest's NIC sends to (libvirt's {@code <source address port>}).
   */
  public InetSocketAddress attach(int vm, InetSocketAddress guestEnd) throws IOException {
    InetSocketAddress relayEnd = attach(vm);
    connect(vm, guestEnd);
    return relayEnd;
  }

  /** Opens VM {@code vm}'s port before its guest exists; {@link #connect} names the guest's end once it does. */
  public InetSocketAddress attach(int vm) throws IOException {
    if (!macs.containsKey(vm)) throw new IllegalArgumentException("group " + group + " has no VM " + vm);
    if (closed) throw new IllegalStateException("the NICs of group " + group + " are closed");
    DatagramChannel channel = DatagramChannel.open();
    try {
      channel.setOption(StandardSocketOptions.SO_RCVBUF, RECEIVE_BUFFER_BYTES);
      channel.setOption(StandardSocketOptions.SO_SNDBUF, RECEIVE_BUFFER_BYTES);
      channel.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      channel.configureBlocking(false);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
    Port port = new Port(vm, channel, null);
    Port old = ports.put(vm, port);
    if (old != null) old.channel.close();
    toRegister.add(port);
    selector.wakeup();
    return (InetSocketAddress) channel.getLocalAddress();
  }

  /** The guest's NIC is at {@code guestEnd}: frames for it go there from now on. */
  public void connect(int vm, InetSocketAddress guestEnd) {
    Port port = ports.get(vm);
    if (port == null) throw new IllegalStateException("VM " + vm + " has no NIC port on this host");
    port.guestEnd = guestEnd;
  }

  /** Closes VM {@code vm}'s port; frames it still held are dropped (its guest is gone). */
  public void detach(int vm) {
    Port port = ports.remove(vm);
    if (port == null) return;
    try {
      port.channel.close();
    } catch (IOException e) {
      LOG.log(Level.DEBUG, "closing the port of VM " + vm + ": " + e.getMessage());
    }
  }

  public boolean attached(int vm) {
    return ports.containsKey(vm);
  }

  /** Writes {@code frame} into VM {@code vm}'s NIC; false when the VM has no port here. */
  public boolean toGuest(int vm, byte[] frame) {
    Port port = ports.get(vm);
    if (port == null || port.guestEnd == null) return false;
    try {
      port.channel.send(ByteBuffer.wrap(frame), port.guestEnd);
      toGuests.incrementAndGet();
      return true;
    } catch (IOException e) {
      // The guest's QEMU is gone (ECONNREFUSED on loopback): lost as on a wire to a switched-off card.
      LOG.log(Level.DEBUG, "frame to VM " + vm + " not written: " + e.getMessage());
      return false;
    }
  }

  /**
   * On the runtime's thread, while VM {@code vm}'s guest is paused: hands on every frame the guest sent before now.
   * Everything it sends from now on comes after.
   */
  public void cut(int vm) throws IOException {
    Port port = ports.get(vm);
    if (port == null) return;
    port.drainSocket();
    handOn(port);
  }

  public Counts counts() {
    return new Counts(fromGuests.get(), toGuests.get(), malformed.get(), spoofed.get(), unknownDestination.get());
  }

  @Override public void close() {
    closed = true;
    for (int vm : ports.keySet()) detach(vm);
    selector.wakeup();
    try {
      reader.join(2_000);
      selector.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      LOG.log(Level.DEBUG, "closing the selector: " + e.getMessage());
    }
  }

  // ---- the selector thread -------------------------------------------------------------------------------------

  private void readLoop() {
    while (!closed) {
      try {
        for (Port p; (p = toRegister.poll()) != null; ) {
          try {
            p.channel.register(selector, SelectionKey.OP_READ, p);
          } catch (ClosedChannelException detached) {
            // detached before it was registered
          }
        }
        selector.select();
        for (SelectionKey key : selector.selectedKeys()) {
          Port port = (Port) key.attachment();
          try {
            if (key.isValid() && port.drainSocket()) runtime.execute(() -> handOn(port));
          } catch (ClosedChannelException detached) {
            key.cancel();
          } catch (IOException e) {
            LOG.log(Level.WARNING, "group " + group + ": reading VM " + port.vm + "'s NIC: " + e.getMessage());
          }
        }
        selector.selectedKeys().clear();
      } catch (IOException | RuntimeException e) {
        if (!closed) LOG.log(Level.WARNING, "group " + group + ": NIC reader: " + e.getMessage());
      }
    }
  }

  // ---- the runtime's thread ------------------------------------------------------------------------------------

  private void handOn(Port port) {
    for (byte[] frame; (frame = port.read.poll()) != null; ) switchFrame(port.vm, frame);
  }

  private void switchFrame(int from, byte[] frame) {
    fromGuests.incrementAndGet();
    if (frame.length < Ethernet.HEADER_BYTES || frame.length > Ethernet.MAX_FRAME_BYTES) {
      malformed.incrementAndGet();
      return;
    }
    if (Ethernet.source(frame) != macs.get(from)) {
      spoofed.incrementAndGet();
      return;
    }
    long destination = Ethernet.destination(frame);
    if (Ethernet.isGroupAddress(destination)) {
      for (int to : vmByMac.values()) if (to != from) uplink.fromGuest(from, to, frame);
      return;
    }
    Integer to = vmByMac.get(destination);
    if (to == null || to == from) {
      unknownDestination.incrementAndGet();
      return;
    }
    uplink.fromGuest(from, to, frame);
  }
}
