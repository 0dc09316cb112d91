package org.vmqsc.agent.net;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The management server's end of the VXLAN ports on the relay networks' bridges in Xen hosts' dom0s: one UDP socket,
 * shared by every Xen host and every group it serves. Each datagram is one Ethernet frame behind an 8-byte VXLAN
 * header (RFC 7348): a flags byte whose I bit (0x08) says the VNI is valid, three reserved bytes, the 24-bit VNI,
 * one reserved byte. Reserved bits are ignored on receipt and sent as zero.
 *
 * <p>A dom0's VXLAN port sends here every frame its guests put on the bridge (it is the bridge's only port that is
 * not isolated); a frame for a guest goes back to that guest's dom0, whose bridge floods it to the guests' ports. A
 * frame's sender is found in two steps: the dom0 by the datagram's source address, among the dom0s
 * {@link #register registered} here, then the VM by the frame's source MAC, among those the groups' {@link GuestNics}
 * claimed on that dom0's {@link RemoteBridge}. The frame goes to that one group's port; a frame one group's VM sends
 * to a VM of another group on the same bridge reaches only the sender's group, whose switch counts it as for an
 * unknown destination and drops it: groups never exchange frames here.
 *
 * <p>Dropped and counted ({@link Counts}): a datagram from an address no dom0 is registered at; one shorter than a
 * VXLAN header and an Ethernet header, longer than a header and {@link Ethernet#MAX_FRAME_BYTES}, or without the
 * I bit (malformed); one with another VNI; a frame whose source MAC no group claimed on its dom0 (a guest that
 * changed its MAC, a VM not attached, dom0's own stack sending out of the bridge).
 *
 * <p>Threads: one reads the socket; a cut may also read it, on the runtime's thread ({@link #receiveWaiting}), under
 * the same lock, so frames reach each group's port in the order the socket received them. Each group's port gets its
 * frames one by one, then one call at the end of the burst that brought it some.
 */
public final class VxlanEndpoint implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(VxlanEndpoint.class.getName());

  /** The IANA port for VXLAN; the dom0 script's default too. */
  public static final int DEFAULT_PORT = 4789;
  static final int HEADER_BYTES = 8;
  static final int FLAG_VNI_VALID = 0x08;
  static final int MAX_VNI = 0xFF_FFFF;
  private static final int SOCKET_BUFFER_BYTES = 4 << 20;

  /**
   * What the endpoint has seen since it opened: datagrams received (all of them) and sent, and those it dropped, by
   * why.
   */
  public record Counts(long received, long sent, long unregisteredSender, long malformed, long otherVni,
      long unclaimedSource) {}

  private final DatagramChannel channel;
  private final int vni;
  private final int settleMillis;
  private final Selector selector;
  private final Thread reader;
  private final Map<InetAddress, RemoteBridge> dom0s = new ConcurrentHashMap<>();
  /** The receive buffer: room for one byte more than the largest datagram taken, to tell a longer one. */
  private final ByteBuffer buffer = ByteBuffer.allocateDirect(HEADER_BYTES + Ethernet.MAX_FRAME_BYTES + 1);
  private final AtomicLong received = new AtomicLong(), sent = new AtomicLong(), unregisteredSender = new AtomicLong(),
      malformed = new AtomicLong(), otherVni = new AtomicLong(), unclaimedSource = new AtomicLong();
  private volatile boolean closed;

  private VxlanEndpoint(DatagramChannel channel, int vni, int settleMillis) throws IOException {
    this.channel = channel;
    this.vni = vni;
    this.settleMillis = settleMillis;
    this.selector = Selector.open();
    channel.register(selector, SelectionKey.OP_READ);
    this.reader = new Thread(this::readLoop, "vmqsc-vxlan-" + address().getPort());
    reader.setDaemon(true);
    reader.start();
  }

  /** {@link #open(InetSocketAddress, int, int)} with a cut's settle bound of {@link GuestNics}'s bridges. */
  public static VxlanEndpoint open(InetSocketAddress bind, int vni) throws IOException {
    return open(bind, vni, GuestNics.BRIDGE_SETTLE_MILLIS);
  }

  /**
   * Opens the endpoint on {@code bind} (port 0 for an ephemeral one).
   *
   * @param vni          the VXLAN network identifier every dom0's relay port uses (0 to 2^24 - 1)
   * @param settleMillis how long a cut of a VM behind a dom0 reads on after that VM's last frame (see the README:
   *                     over a network the bound must cover the delay between dom0 and here)
   */
  public static VxlanEndpoint open(InetSocketAddress bind, int vni, int settleMillis) throws IOException {
    if (vni < 0 || vni > MAX_VNI) throw new IllegalArgumentException("a VNI is 24 bits (0 to " + MAX_VNI + "): " + vni);
    if (settleMillis < 0) throw new IllegalArgumentException("a settle bound is not negative: " + settleMillis);
    if (bind.isUnresolved()) throw new IllegalArgumentException("unresolved address " + bind);
    DatagramChannel channel = bind.getAddress() instanceof Inet4Address
        ? DatagramChannel.open(StandardProtocolFamily.INET) : DatagramChannel.open();
    try {
      channel.setOption(StandardSocketOptions.SO_RCVBUF, SOCKET_BUFFER_BYTES);
      channel.setOption(StandardSocketOptions.SO_SNDBUF, SOCKET_BUFFER_BYTES);
      channel.bind(bind);
      channel.configureBlocking(false);
      return new VxlanEndpoint(channel, vni, settleMillis);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  public InetSocketAddress address() {
    try {
      return (InetSocketAddress) channel.getLocalAddress();
    } catch (IOException e) {
      throw new IllegalStateException("the VXLAN endpoint is closed", e);
    }
  }

  public int vni() {
    return vni;
  }

  /** How long a cut of a VM behind a dom0 served here waits for a moment with no frame from that VM. */
  public int settleMillis() {
    return settleMillis;
  }

  /** {@link #register(InetSocketAddress)} for a dom0 whose VXLAN port listens on this endpoint's port. */
  public RemoteBridge register(InetAddress dom0) {
    return register(new InetSocketAddress(dom0, address().getPort()));
  }

  /**
   * Serves the relay bridge of the dom0 whose VXLAN port is at {@code dom0}: datagrams from its address are taken from
   * now on, and frames for its guests go to it. Registering the same address again returns the same bridge; one
   * address is one dom0 (the port does not tell dom0s apart: a VXLAN port sends from a port of its own choosing).
   */
  public RemoteBridge register(InetSocketAddress dom0) {
    if (dom0.isUnresolved()) throw new IllegalArgumentException("unresolved address " + dom0);
    if (closed) throw new IllegalStateException("the VXLAN endpoint " + address() + " is closed");
    RemoteBridge bridge = dom0s.computeIfAbsent(dom0.getAddress(), a -> new RemoteBridge(this, dom0));
    if (!bridge.dom0().equals(dom0)) {
      throw new IllegalArgumentException("dom0 " + dom0.getAddress().getHostAddress() + " is registered at port "
          + bridge.dom0().getPort() + " already, not " + dom0.getPort());
    }
    return bridge;
  }

  /** Datagrams from {@code bridge}'s dom0 are dropped from now on (counted as from an unregistered sender). */
  public void unregister(RemoteBridge bridge) {
    dom0s.remove(bridge.dom0().getAddress(), bridge);
  }

  public Counts counts() {
    return new Counts(received.get(), sent.get(), unregisteredSender.get(), malformed.get(), otherVni.get(),
        unclaimedSource.get());
  }

  @Override public void close() {
    closed = true;
    selector.wakeup();
    try {
      reader.join(2_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      selector.close();
      channel.close();
    } catch (IOException e) {
      LOG.log(Level.DEBUG, "closing the VXLAN endpoint: " + e.getMessage());
    }
  }

  // ---- sending -------------------------------------------------------------------------------------------------

  /** Sends {@code frame} to the VXLAN port at {@code dom0}; false when the socket's buffer is full. */
  boolean send(InetSocketAddress dom0, byte[] frame) throws IOException {
    ByteBuffer datagram = ByteBuffer.allocate(HEADER_BYTES + frame.length);
    datagram.put((byte) FLAG_VNI_VALID).put((byte) 0).put((byte) 0).put((byte) 0)
        .put((byte) (vni >>> 16)).put((byte) (vni >>> 8)).put((byte) vni).put((byte) 0)
        .put(frame).flip();
    if (channel.send(datagram, dom0) == 0) return false;
    sent.incrementAndGet();
    return true;
  }

  // ---- receiving -----------------------------------------------------------------------------------------------

  private void readLoop() {
    while (!closed) {
      try {
        selector.select();
        selector.selectedKeys().clear();
        if (!closed) receiveWaiting();
      } catch (ClosedChannelException | ClosedSelectorException e) {
        return;
      } catch (IOException | RuntimeException e) {
        if (!closed) LOG.log(Level.WARNING, "VXLAN endpoint " + address() + ": " + e.getMessage());
      }
    }
  }

  /**
   * Reads every datagram the socket holds now and hands each frame to the port that claimed its source, then tells
   * each port that got some that its burst ended. Any thread; one at a time.
   */
  void receiveWaiting() throws IOException {
    List<RemoteBridge.Receiver> got = new ArrayList<>(2);
    synchronized (buffer) {
      while (true) {
        buffer.clear();
        SocketAddress from = channel.receive(buffer);
        if (from == null) break;
        buffer.flip();
        received.incrementAndGet();
        RemoteBridge bridge = accepted((InetSocketAddress) from);
        if (bridge == null) continue;
        byte[] frame = new byte[buffer.remaining() - HEADER_BYTES];
        buffer.position(HEADER_BYTES).get(frame);
        RemoteBridge.Receiver receiver = bridge.claimant(Ethernet.source(frame));
        if (receiver == null) {
          unclaimedSource.incrementAndGet();
          continue;
        }
        receiver.frame(frame);
        if (!got.contains(receiver)) got.add(receiver);
      }
    }
    for (RemoteBridge.Receiver receiver : got) {
      try {
        receiver.burstEnd();
      } catch (RuntimeException e) { // one group's closed runtime must not keep the others' frames waiting
        LOG.log(Level.WARNING, "VXLAN endpoint " + address() + ": handing on a burst: " + e);
      }
    }
  }

  /** The dom0 bridge the datagram in {@link #buffer} comes from, or null when it is dropped (counted). */
  private RemoteBridge accepted(InetSocketAddress from) {
    RemoteBridge bridge = dom0s.get(from.getAddress());
    if (bridge == null) {
      unregisteredSender.incrementAndGet();
      return null;
    }
    int length = buffer.remaining();
    if (length < HEADER_BYTES + Ethernet.HEADER_BYTES || length > HEADER_BYTES + Ethernet.MAX_FRAME_BYTES
        || (buffer.get(0) & FLAG_VNI_VALID) == 0) {
      malformed.incrementAndGet();
      return null;
    }
    int datagramVni = (buffer.get(4) & 0xFF) << 16 | (buffer.get(5) & 0xFF) << 8 | (buffer.get(6) & 0xFF);
    if (datagramVni != vni) {
      otherVni.incrementAndGet();
      return null;
    }
    return bridge;
  }
}
