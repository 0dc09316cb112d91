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
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
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
 * <p>A port is a guest's own UDP socket ({@link #attach}) or a Linux bridge shared by several guests, whose other
 * ports are isolated so that guests behind it reach each other only through the relay: a bridge on this host
 * ({@link #attachBridged}: a Xen host's VIFs on the relay network's bridge, served by a TAP device on it) or one in a
 * Xen host's dom0 while the relay runs in the management server ({@link #attachRemoteBridge}: served through the
 * bridge's VXLAN port, whose far end is a {@link VxlanEndpoint}). On a bridge a frame's sender is the VM with its
 * source MAC among the VMs attached there, and a frame for one of them is put on the bridge, which delivers it to
 * the port with that MAC.
 *
 * <p>Threads: one selector thread reads every UDP port, one thread per local bridge reads its TAP, a
 * {@link VxlanEndpoint}'s reader reads for the remote bridges; each queues the frames per port; the runtime takes
 * them on its own executor, one task per burst, in the order each port received them. {@link #cut} lets the
 * runtime take, on its thread, every frame a guest has sent so far: called while the guest is paused, it draws the
 * line between the frames sent before a checkpoint and those sent after it.
 */
public final class GuestNics implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(GuestNics.class.getName());
  private static final int RECEIVE_BUFFER_BYTES = 4 << 20;

  /** Where the frames the guests send go, on the runtime's executor. */
  public interface Uplink {
    /** VM {@code from} sent {@code frame} (owned by the callee from now on) and VM {@code to} is to receive it. */
    void fromGuest(int from, int to, byte[] frame);
  }

  /**
   * What the switch has seen since it started; {@code isolatedByRelay}: bridge ports the relay had to isolate;
   * {@code untakenAtCut}: cuts that paused a guest with frames still queued in its NIC (see {@link #awaitTaken}).
   */
  public record Counts(long fromGuests, long toGuests, long malformed, long spoofed, long unknownDestination,
      long isolatedByRelay, long untakenAtCut) {}

  /** How long a bridged VM's cut keeps reading its bridge after the last frame from that VM (see {@link #cut}). */
  static final int BRIDGE_SETTLE_MILLIS = 2;
  /** How long a cut waits after the last frame written into a NIC whose queue it cannot see (see {@link #awaitTaken}). */
  static final int WRITE_SETTLE_MILLIS = 2;
  /**
   * How long a cut waits at most for a guest to take the frames queued in its UDP NIC (see {@link #awaitTaken}). A
   * software-emulated guest let run after seconds held (its earlier snapshot still starting, a recovery) was seen to
   * need more than 50 ms; a guest that takes nothing for this long has its NIC down or its kernel stuck.
   */
  static final int TAKEN_BOUND_MILLIS = 1_000;

  /**
   * What a cut's wait for a guest's NIC saw: how long it waited, and the bytes the guest had still not taken at its
   * end (0: everything written into the NIC reached the guest; -1: not known, a port whose queue cannot be seen).
   */
  public record Taken(long waitedNanos, long untakenBytes) {
    static final Taken NOTHING_WRITTEN = new Taken(0, 0);
  }
  /** How often a bridge's reader checks that every guest's port of the bridge is isolated. */
  static final long ISOLATION_CHECK_NANOS = 100_000_000L;

  /** One port of the switch: where frames are read from and written to. */
  private abstract static class Port {
    /** Frames read and not yet handed on, in the order they were read; filled under the port's lock. */
    final Queue<byte[]> read = new ConcurrentLinkedQueue<>();

    /** Moves whatever the port holds now into {@link #read}; returns whether anything came. */
    abstract boolean drain() throws IOException;

    /** The VM that sent {@code frame} (a header's worth at least) through this port, or null when none may have. */
    abstract Integer sender(byte[] frame);

    /** Writes {@code frame} towards VM {@code vm}, which is behind this port; false when it cannot go now. */
    abstract boolean write(int vm, byte[] frame) throws IOException;

    abstract void close();
  }

  /** A guest's own port: a UDP socket whose peer is its NIC's backend in QEMU. */
  private final class UdpPort extends Port {
    final int vm;
    final DatagramChannel channel;
    /** The guest's own end of its NIC; null until its machine has started. */
    volatile InetSocketAddress guestEnd;
    final ByteBuffer buffer = ByteBuffer.allocateDirect(Ethernet.MAX_FRAME_BYTES + 1);

    UdpPort(int vm, DatagramChannel channel) {
      this.vm = vm;
      this.channel = channel;
    }

    @Override synchronized boolean drain() throws IOException {
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

    @Override Integer sender(byte[] frame) {
      return Ethernet.source(frame) == macs.get(vm) ? vm : null;
    }

    @Override boolean write(int to, byte[] frame) throws IOException {
      InetSocketAddress end = guestEnd;
      if (end == null) return false;
      channel.send(ByteBuffer.wrap(frame), end);
      return true;
    }

    @Override void close() {
      try {
        channel.close();
      } catch (IOException e) {
        LOG.log(Level.DEBUG, "closing the port of VM " + vm + ": " + e.getMessage());
      }
    }
  }

  /**
   * A port shared by the NICs of several guests, which a frame's source MAC tells apart: a Linux bridge on this host
   * ({@link BridgePort}) or one in a Xen host's dom0 reached over VXLAN ({@link RemoteBridgePort}).
   */
  private abstract class SharedPort extends Port {
    final Set<Integer> vms = ConcurrentHashMap.newKeySet();

    /** Names the port among the group's shared ports. */
    abstract String key();

    /** Waits at most {@code millis} for frames; true when some may have come ({@link #drain} takes them). */
    abstract boolean awaitFrames(int millis) throws IOException;

    /** How long a cut reads on after the last frame from its VM (see {@link #settle}). */
    abstract int settleMillis();

    /** Puts {@code frame} on the shared medium, whose switch delivers it by destination MAC. */
    abstract boolean send(byte[] frame) throws IOException;

    /** VM {@code vm}'s NIC is behind this port from now on. */
    void admit(int vm) {
      vms.add(vm);
    }

    /** VM {@code vm}'s NIC is no longer behind this port. */
    void dismiss(int vm) {
      vms.remove(vm);
    }

    /**
     * Drains the port until {@link #settleMillis} pass with no frame from VM {@code vm} (a bound, not a proof: see
     * the README).
     */
    void settle(int vm) throws IOException {
      long mac = macs.get(vm);
      int bound = settleMillis();
      long quietSince = System.nanoTime();
      int seen = read.size();
      drain();
      while (true) {
        int now = 0;
        for (byte[] f : read) {
          if (now++ >= seen && f.length >= Ethernet.HEADER_BYTES && Ethernet.source(f) == mac) {
            quietSince = System.nanoTime();
          }
        }
        seen = now;
        long waited = (System.nanoTime() - quietSince) / 1_000_000;
        if (waited >= bound) return;
        if (awaitFrames((int) (bound - waited))) drain();
      }
    }

    @Override Integer sender(byte[] frame) {
      Integer vm = vmByMac.get(Ethernet.source(frame));
      return vm != null && vms.contains(vm) ? vm : null;
    }

    /**
     * The switch behind the port delivers by destination MAC: a broadcast or multicast frame sent as it is would
     * reach every guest there, so a copy for one VM goes addressed to that VM's MAC.
     */
    @Override boolean write(int vm, byte[] frame) throws IOException {
      byte[] out = frame;
      if (Ethernet.isGroupAddress(Ethernet.destination(frame))) {
        out = frame.clone();
        long mac = macs.get(vm);
        for (int i = 0; i < 6; i++) out[i] = (byte) (mac >>> (8 * (5 - i)));
      }
      return send(out);
    }
  }

  /**
   * A Linux bridge on this host, served by a TAP device on it (see {@link BridgeTap}), read by its own thread: a
   * TAP's descriptor cannot join the selector.
   */
  private final class BridgePort extends SharedPort {
    final BridgeTap tap;
    final byte[] buffer = new byte[Ethernet.MAX_FRAME_BYTES + 1];
    final Thread reader;
    volatile boolean closing;

    BridgePort(BridgeTap tap) throws IOException {
      this.tap = tap;
      checkIsolation();
      this.reader = new Thread(this::readLoop, "vmqsc-bridge-" + group + "-" + tap.bridge());
      reader.setDaemon(true);
      reader.start();
    }

    @Override String key() {
      return keyOf(tap.bridge());
    }

    static String keyOf(String bridge) {
      return "bridge " + bridge;
    }

    @Override synchronized boolean drain() throws IOException {
      boolean any = false;
      for (int n; (n = tap.tap().read(buffer)) >= 0; ) {
        read.add(Arrays.copyOf(buffer, n));
        any = true;
      }
      return any;
    }

    @Override boolean awaitFrames(int millis) throws IOException {
      return tap.tap().awaitReadable(millis);
    }

    @Override int settleMillis() {
      return BRIDGE_SETTLE_MILLIS;
    }

    @Override boolean send(byte[] frame) throws IOException {
      tap.tap().write(frame);
      return true;
    }

    private void checkIsolation() throws IOException {
      List<String> isolated = tap.isolateOthers();
      if (!isolated.isEmpty()) {
        isolatedByRelay.addAndGet(isolated.size());
        LOG.log(Level.WARNING, "group " + group + ": port(s) " + isolated + " of bridge " + tap.bridge()
            + " were not isolated with learning off (guests behind them could reach each other past the relay); "
            + "set them so now");
      }
    }

    private void readLoop() {
      long checked = System.nanoTime();
      while (!closing) {
        try {
          if (tap.tap().awaitReadable(50) && drain()) runtime.execute(() -> handOn(this));
          if (System.nanoTime() - checked >= ISOLATION_CHECK_NANOS) {
            checked = System.nanoTime();
            checkIsolation();
          }
        } catch (IOException | RuntimeException e) {
          if (closing) return;
          LOG.log(Level.WARNING, "group " + group + ": reading bridge " + tap.bridge() + ": " + e.getMessage());
          try {
            Thread.sleep(50);
          } catch (InterruptedException stop) {
            return;
          }
        }
      }
    }

    @Override void close() {
      closing = true;
      try {
        reader.join(2_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      synchronized (this) {
        tap.close();
      }
    }
  }

  /**
   * The relay network's bridge in a Xen host's dom0, reached through a {@link VxlanEndpoint} (see
   * {@link RemoteBridge}): the endpoint's reader hands this port the frames whose source MACs it claimed, and the
   * port hands them on to the runtime, one task per burst. The dom0's bridge isolates its guests' ports; nothing here
   * can see it (see the dom0 script's {@code --check}).
   */
  private final class RemoteBridgePort extends SharedPort implements RemoteBridge.Receiver {
    final RemoteBridge bridge;
    private final Object arrivals = new Object();
    /** Bursts that brought this port frames, under {@link #arrivals}: a cut waits for the count to move. */
    private long bursts;

    RemoteBridgePort(RemoteBridge bridge) {
      this.bridge = bridge;
    }

    @Override String key() {
      return bridge.toString();
    }

    /** Claims the VM's MAC on the dom0's bridge first: refused when another group holds it. */
    @Override void admit(int vm) {
      bridge.claim(macs.get(vm), this);
      super.admit(vm);
    }

    @Override void dismiss(int vm) {
      super.dismiss(vm);
      bridge.release(macs.get(vm), this);
    }

    @Override public void frame(byte[] frame) {
      read.add(frame);
    }

    @Override public void burstEnd() {
      synchronized (arrivals) {
        bursts++;
        arrivals.notifyAll();
      }
      runtime.execute(() -> handOn(this));
    }

    /** Reads the endpoint's socket on this thread: whatever it holds now reaches its ports, this one's here. */
    @Override boolean drain() throws IOException {
      bridge.receiveWaiting();
      return !read.isEmpty();
    }

    @Override boolean awaitFrames(int millis) throws IOException {
      long deadline = System.nanoTime() + millis * 1_000_000L;
      synchronized (arrivals) {
        long seen = bursts;
        try {
          for (long left; bursts == seen && (left = deadline - System.nanoTime()) > 0; ) {
            arrivals.wait(Math.max(1, left / 1_000_000));
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted while waiting for frames from " + bridge);
        }
        return bursts != seen;
      }
    }

    @Override int settleMillis() {
      return bridge.settleMillis();
    }

    @Override boolean send(byte[] frame) throws IOException {
      return bridge.send(frame);
    }

    @Override void close() {
      for (int vm : vms) dismiss(vm);
    }
  }

  private final String group;
  private final Map<Integer, Long> macs;
  private final Map<Long, Integer> vmByMac = new TreeMap<>();
  private final Executor runtime;
  private final Uplink uplink;
  private final Selector selector;
  private final Thread reader;
  /** Each attached VM's port; the VMs behind one bridge share its port. */
  private final Map<Integer, Port> ports = new ConcurrentHashMap<>();
  /** Per VM, when a frame was last written into its NIC ({@link System#nanoTime}). */
  private final Map<Integer, Long> lastWritten = new ConcurrentHashMap<>();
  /** Cuts that paused a guest with frames still queued for it (see {@link #awaitTaken}). */
  private final AtomicLong untaken = new AtomicLong();
  /** The shared ports by {@link SharedPort#key}. */
  private final Map<String, SharedPort> shared = new TreeMap<>(); // under itself
  private final Queue<UdpPort> toRegister = new ConcurrentLinkedQueue<>();
  private final AtomicLong fromGuests = new AtomicLong(), toGuests = new AtomicLong(), malformed = new AtomicLong(),
      spoofed = new AtomicLong(), unknownDestination = new AtomicLong(), isolatedByRelay = new AtomicLong();
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
    UdpPort port = new UdpPort(vm, channel);
    leave(vm, ports.put(vm, port));
    toRegister.add(port);
    selector.wakeup();
    return (InetSocketAddress) channel.getLocalAddress();
  }

  /** The guest's NIC is at {@code guestEnd}: frames for it go there from now on. */
  public void connect(int vm, InetSocketAddress guestEnd) {
    if (!(ports.get(vm) instanceof UdpPort port)) {
      throw new IllegalStateException("VM " + vm + " has no UDP NIC port on this host");
    }
    port.guestEnd = guestEnd;
  }

  /**
   * VM {@code vm}'s NIC is a port of the Linux bridge {@code bridge} (a Xen host's VIF on the relay network's bridge
   * {@code xapiN}). The first VM on a bridge makes the relay's port there: a TAP device on the bridge, the bridge's
   * other ports isolated (any that is not is isolated now and named in a warning, and the bridge is checked again
   * every 100 ms). Returns the TAP device's name.
   *
   * @throws IOException the bridge is not a Linux bridge with isolated ports, or the TAP cannot be made
   */
  public String attachBridged(int vm, String bridge) throws IOException {
    if (!macs.containsKey(vm)) throw new IllegalArgumentException("group " + group + " has no VM " + vm);
    synchronized (shared) {
      if (closed) throw new IllegalStateException("the NICs of group " + group + " are closed");
      BridgePort port = (BridgePort) shared.get(BridgePort.keyOf(bridge));
      if (port == null) {
        BridgeTap tap = BridgeTap.open(bridge);
        try {
          port = new BridgePort(tap);
        } catch (IOException | RuntimeException e) {
          tap.close();
          throw e;
        }
        shared.put(port.key(), port);
      }
      join(vm, port);
      return port.tap.tap().name();
    }
  }

  /**
   * VM {@code vm}'s NIC is a port of the relay network's bridge in a Xen host's dom0, whose VXLAN port's far end is
   * {@code bridge}'s endpoint (see {@link VxlanEndpoint}; the dom0 script makes that port and isolates the others).
   * Frames from the VM's MAC on that bridge come to this group from now on. Works as {@link #attachBridged} for the
   * switch: the sender by source MAC among the VMs attached to that bridge, broadcast copies readdressed, a cut that
   * settles.
   *
   * @throws IllegalStateException another group claimed the VM's MAC on that bridge
   */
  public void attachRemoteBridge(int vm, RemoteBridge bridge) {
    if (!macs.containsKey(vm)) throw new IllegalArgumentException("group " + group + " has no VM " + vm);
    synchronized (shared) {
      if (closed) throw new IllegalStateException("the NICs of group " + group + " are closed");
      SharedPort port = shared.get(bridge.toString());
      boolean fresh = port == null;
      if (fresh) port = new RemoteBridgePort(bridge);
      try {
        join(vm, port);
      } catch (RuntimeException e) {
        if (fresh) port.close();
        throw e;
      }
      if (fresh) shared.put(port.key(), port);
    }
  }

  /** VM {@code vm} is behind the shared port {@code port} now, and no longer behind any other. */
  private void join(int vm, SharedPort port) {
    port.admit(vm);
    Port old = ports.put(vm, port);
    if (old != port) leave(vm, old);
  }

  /** Closes VM {@code vm}'s port (a bridge's once no VM is left behind it); frames it still held are dropped. */
  public void detach(int vm) {
    leave(vm, ports.remove(vm));
  }

  /** VM {@code vm} is no longer behind {@code port}. */
  private void leave(int vm, Port port) {
    if (port instanceof SharedPort sharedPort) {
      synchronized (shared) {
        sharedPort.dismiss(vm);
        if (!sharedPort.vms.isEmpty() || ports.containsValue(sharedPort)) return;
        shared.remove(sharedPort.key());
      }
    }
    if (port != null) port.close();
  }

  public boolean attached(int vm) {
    return ports.containsKey(vm);
  }

  /** Writes {@code frame} into VM {@code vm}'s NIC; false when the VM has no port here. */
  public boolean toGuest(int vm, byte[] frame) {
    Port port = ports.get(vm);
    if (port == null) return false;
    try {
      if (!port.write(vm, frame)) return false;
      toGuests.incrementAndGet();
      lastWritten.put(vm, System.nanoTime());
      return true;
    } catch (IOException e) {
      // The guest's QEMU is gone (ECONNREFUSED on loopback), or its bridge: lost as on a wire to a switched-off card.
      LOG.log(Level.DEBUG, "frame to VM " + vm + " not written: " + e.getMessage());
      return false;
    }
  }

  /**
   * On the runtime's thread, just before VM {@code vm}'s guest is paused for a cut (no frame is written into its NIC
   * meanwhile): waits until the frames written into its NIC have reached the guest. The node counted each as
   * received when it was written; one still queued for the guest when it pauses would reach it only after its
   * checkpoint, which would then lack a receipt the protocol counts in it (lost after a rollback to it). On a UDP
   * port the guest's QEMU has taken them once its socket's receive queue is empty (it reads the socket while the
   * guest runs and its receive ring has room): waited for up to {@link #TAKEN_BOUND_MILLIS}. A bridge's TAP or a
   * dom0's VIF shows no such queue: the cut waits until {@link #WRITE_SETTLE_MILLIS} have passed since the last write
   * (a bound, not a proof, as a cut's settle for the frames the guest sent).
   */
  public Taken awaitTaken(int vm) {
    return awaitTaken(vm, true);
  }

  /**
   * {@link #awaitTaken} before a cut pauses any of its guests: a guest takes what waits in its NIC while nobody is
   * paused yet, so that the wait right before its own stop, which the guests stopped before it in the same cut wait
   * out with it, is short (a guest let run after a long hold may need hundreds of milliseconds). Not counted: what
   * is still queued is waited for again before the stop.
   */
  public Taken awaitTakenEarly(int vm) {
    return awaitTaken(vm, false);
  }

  private Taken awaitTaken(int vm, boolean counted) {
    Long written = lastWritten.get(vm);
    Port port = ports.get(vm);
    if (written == null || port == null) return Taken.NOTHING_WRITTEN;
    long start = System.nanoTime();
    if (port instanceof UdpPort udp && udp.guestEnd != null) {
      long deadline = start + TAKEN_BOUND_MILLIS * 1_000_000L;
      try {
        for (long queued; (queued = UdpReceiveQueue.bytesQueued(udp.guestEnd)) >= 0; ) {
          if (queued == 0) return new Taken(System.nanoTime() - start, 0);
          if (System.nanoTime() > deadline) {
            if (!counted) return new Taken(System.nanoTime() - start, queued);
            untaken.incrementAndGet();
            LOG.log(Level.DEBUG, "VM " + vm + "'s guest had not taken " + queued + " bytes after "
                + TAKEN_BOUND_MILLIS + " ms: they reach it after its cut");
            return new Taken(System.nanoTime() - start, queued);
          }
          java.util.concurrent.locks.LockSupport.parkNanos(200_000);
        }
        // not listed: settled by time below
      } catch (IOException e) {
        LOG.log(Level.DEBUG, "receive queue of VM " + vm + "'s NIC unknown: " + e.getMessage());
      }
    }
    for (long left; (left = written + WRITE_SETTLE_MILLIS * 1_000_000L - System.nanoTime()) > 0; ) {
      java.util.concurrent.locks.LockSupport.parkNanos(left);
    }
    return new Taken(System.nanoTime() - start, -1);
  }

  /**
   * On the runtime's thread, while VM {@code vm}'s guest is paused: hands on every frame the guest sent before now.
   * Everything it sends from now on comes after.
   *
   * <p>On a UDP port the socket is drained. On a bridge the TAP is drained, and read on until
   * {@link #BRIDGE_SETTLE_MILLIS} pass with no frame from this VM: a frame the guest put on its VIF just before it
   * was paused may still be on its way through the host's backend and bridge. On a dom0's bridge the
   * {@link VxlanEndpoint}'s socket is read on this thread the same way, for its {@link VxlanEndpoint#settleMillis}:
   * the frame may still be on its way through dom0 and the network. Frames of the bridge's other VMs read meanwhile
   * are handed on too, in order (they were sent before now as well).
   */
  public void cut(int vm) throws IOException {
    Port port = ports.get(vm);
    if (port == null) return;
    if (port instanceof SharedPort sharedPort) {
      sharedPort.settle(vm);
    } else {
      port.drain();
    }
    handOn(port);
  }

  public Counts counts() {
    return new Counts(fromGuests.get(), toGuests.get(), malformed.get(), spoofed.get(), unknownDestination.get(),
        isolatedByRelay.get(), untaken.get());
  }

  @Override public void close() {
    synchronized (shared) {
      closed = true;
    }
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
        for (UdpPort p; (p = toRegister.poll()) != null; ) {
          try {
            p.channel.register(selector, SelectionKey.OP_READ, p);
          } catch (ClosedChannelException detached) {
            // detached before it was registered
          }
        }
        selector.select();
        for (SelectionKey key : selector.selectedKeys()) {
          UdpPort port = (UdpPort) key.attachment();
          try {
            if (key.isValid() && port.drain()) runtime.execute(() -> handOn(port));
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
    for (byte[] frame; (frame = port.read.poll()) != null; ) switchFrame(port, frame);
  }

  private void switchFrame(Port port, byte[] frame) {
    fromGuests.incrementAndGet();
    if (frame.length < Ethernet.HEADER_BYTES || frame.length > Ethernet.MAX_FRAME_BYTES) {
      malformed.incrementAndGet();
      return;
    }
    Integer sender = port.sender(frame);
    if (sender == null) {
      spoofed.incrementAndGet();
      return;
    }
    int from = sender;
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
