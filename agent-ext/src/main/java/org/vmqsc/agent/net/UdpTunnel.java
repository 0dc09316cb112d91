package org.vmqsc.agent.net;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.DatagramPacket;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * One host agent's end of the tunnels to the other agents: one UDP socket for every protection group on the host.
 * Each peer gets a reliable, FIFO link over it: datagrams carry a per-peer link sequence number, the receiver acks,
 * the sender retransmits what stays unacked and gives the peer up after a bounded number of attempts; the receiver
 * drops duplicates and hands frames on in link order, so no channel is ever delivered twice or out of order.
 *
 * <p>Threads: one receives (and delivers to the registered handlers, which must not block), one retransmits.
 * {@link #send} may be called from any thread.
 */
public final class UdpTunnel implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(UdpTunnel.class.getName());

  private final Datagrams socket;
  private final TunnelConfig config;
  private final PeerListener listener;
  private final Map<String, Consumer<Frame>> handlers = new ConcurrentHashMap<>();
  private final Map<InetSocketAddress, Outgoing> outgoing = new ConcurrentHashMap<>();
  private final Map<InetSocketAddress, Incoming> incoming = new HashMap<>(); // the receiving thread's own
  /** Link epochs grow with time across restarts of an agent and by one when a peer is given up. */
  private final AtomicLong epochs = new AtomicLong(System.currentTimeMillis() * 1000);
  private final Thread receiver;
  private final ScheduledExecutorService timer;
  private volatile boolean closed;

  private final AtomicLong sent = new AtomicLong(), retransmitted = new AtomicLong(), received = new AtomicLong(),
      delivered = new AtomicLong(), duplicates = new AtomicLong(), malformed = new AtomicLong(),
      stale = new AtomicLong(), unknownGroup = new AtomicLong(), unreachable = new AtomicLong();

  public UdpTunnel(Datagrams socket, TunnelConfig config, PeerListener listener) {
    this.socket = socket;
    this.config = config;
    this.listener = listener;
    int port = socket.localAddress().getPort();
    this.receiver = new Thread(this::receiveLoop, "vmqsc-tunnel-recv-" + port);
    receiver.setDaemon(true);
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "vmqsc-tunnel-retransmit-" + port);
      t.setDaemon(true);
      timerThread = t;
      return t;
    });
    receiver.start();
    long tick = Math.max(1, config.retransmitAfter().toMillis() / 2);
    timer.scheduleWithFixedDelay(this::retransmit, tick, tick, TimeUnit.MILLISECONDS);
  }

  /** A tunnel on a new socket bound to {@code address} (port 0 for an ephemeral port). */
  public static UdpTunnel open(InetSocketAddress address, TunnelConfig config, PeerListener listener) throws IOException {
    return new UdpTunnel(Datagrams.bind(address), config, listener);
  }

  public InetSocketAddress address() {
    return socket.localAddress();
  }

  /**
   * A tunnel's address as the manager names it to the hosts ({@code host:port}; an IPv6 host keeps its colons).
   *
   * @throws IllegalArgumentException not {@code host:port}
   */
  public static InetSocketAddress parseAddress(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    if (colon <= 0) throw new IllegalArgumentException("not a host:port tunnel address: " + hostPort);
    try {
      return new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a host:port tunnel address: " + hostPort);
    }
  }

  /** Frames of {@code group} go to {@code handler}, on the receiving thread, in link order. */
  public void register(String group, Consumer<Frame> handler) {
    if (handlers.putIfAbsent(group, handler) != null) throw new IllegalStateException("group " + group + " is registered already");
  }

  public void unregister(String group) {
    handlers.remove(group);
  }

  /**
   * Queues {@code frame} on the link to {@code peer}; it leaves at once unless the window is full. Refuses a frame
   * no datagram can carry, a peer far behind (backlog full) and a closed tunnel, with an exception.
   */
  public void send(InetSocketAddress peer, Frame frame) {
    WireFormat.check(frame);
    if (closed) throw new IllegalStateException("tunnel " + address() + " is closed");
    List<byte[]> now;
    while (true) {
      Outgoing out = outgoing.computeIfAbsent(peer, p -> new Outgoing(epochs.incrementAndGet()));
      synchronized (out) {
        if (out.givenUp) continue; // given up between the lookup and the lock: take the fresh link
        if (out.backlog.size() >= config.maxBacklog() && out.pending.size() >= config.window()) {
          throw new IllegalStateException("link to " + peer + " has " + out.backlog.size() + " frames waiting; refusing more");
        }
        out.backlog.add(frame);
        now = out.fill(config.window());
        break;
      }
    }
    transmit(peer, now);
  }

  public TunnelStats stats() {
    return new TunnelStats(sent.get(), retransmitted.get(), received.get(), delivered.get(), duplicates.get(),
        malformed.get(), stale.get(), unknownGroup.get(), unreachable.get());
  }

  /** Frames on their way over all links: sent but not known delivered, or waiting for the window. */
  public int inFlight() {
    int n = 0;
    for (Outgoing out : outgoing.values()) {
      synchronized (out) {
        n += out.pending.size() + out.backlog.size();
      }
    }
    return n;
  }

  public boolean isClosed() {
    return closed && socket.isClosed() && !receiver.isAlive() && timer.isTerminated();
  }

  /** The retransmitting thread, once the timer made it. */
  private volatile Thread timerThread;

  /** Stops both threads and closes the socket; frames not yet acknowledged are dropped. */
  @Override public void close() {
    closed = true;
    timer.shutdownNow();
    socket.close(); // unblocks the receiving thread
    try {
      receiver.join(5_000);
      timer.awaitTermination(5, TimeUnit.SECONDS);
      // Terminated is said a moment before its thread ends: wait for the thread itself, so none outlives close().
      Thread t = timerThread;
      if (t != null) t.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ---- sending -----------------------------------------------------------------------------------------------

  /** The sending half of a link to one peer. Guarded by itself. */
  private static final class Outgoing {
    final long epoch;
    boolean givenUp;
    long nextSeq = 1;
    final TreeMap<Long, Pending> pending = new TreeMap<>();
    final ArrayDeque<Frame> backlog = new ArrayDeque<>();

    Outgoing(long epoch) {
      this.epoch = epoch;
    }

    /** Moves frames from the backlog into the window, in order; returns the datagrams to send now. */
    List<byte[]> fill(int window) {
      List<byte[]> out = new ArrayList<>();
      while (!backlog.isEmpty() && pending.size() < window) {
        long seq = nextSeq++;
        byte[] bytes = WireFormat.encode(new Packet.Carrier(epoch, seq, backlog.poll()));
        pending.put(seq, new Pending(bytes, System.nanoTime()));
        out.add(bytes);
      }
      return out;
    }
  }

  private static final class Pending {
    final byte[] bytes;
    long lastSent;
    int attempts = 1;
    /** The peer holds it (out of order): no need to send it again, but not delivered until the gap fills. */
    boolean held;

    Pending(byte[] bytes, long lastSent) {
      this.bytes = bytes;
      this.lastSent = lastSent;
    }
  }

  private void transmit(InetSocketAddress peer, List<byte[]> datagrams) {
    for (byte[] d : datagrams) {
      sendRaw(peer, d);
      sent.incrementAndGet();
    }
  }

  private void sendRaw(InetSocketAddress peer, byte[] d) {
    try {
      socket.send(new DatagramPacket(d, d.length, peer));
    } catch (IOException e) {
      // As good as lost on the wire: the retransmission tries again, and gives the peer up if it keeps failing.
      if (!closed) LOG.log(Level.DEBUG, "send to " + peer + " failed: " + e.getMessage());
    }
  }

  private void retransmit() {
    try {
      retransmitDue();
    } catch (RuntimeException e) { // an escaping exception would cancel the schedule for good
      LOG.log(Level.ERROR, "retransmission failed on tunnel " + address(), e);
    }
  }

  private void retransmitDue() {
    long now = System.nanoTime();
    for (Map.Entry<InetSocketAddress, Outgoing> link : outgoing.entrySet()) {
      Outgoing out = link.getValue();
      List<byte[]> again = new ArrayList<>();
      int lost = -1;
      synchronized (out) {
        for (Pending p : out.pending.values()) {
          if (p.held || now - p.lastSent < timeout(p.attempts)) continue;
          if (p.attempts >= config.maxAttempts()) {
            lost = out.pending.size() + out.backlog.size();
            break;
          }
          p.attempts++;
          p.lastSent = now;
          again.add(p.bytes);
        }
        if (lost >= 0) { // the next frame starts a fresh link, with a new epoch
          out.givenUp = true;
          outgoing.remove(link.getKey(), out);
        }
      }
      if (lost >= 0) {
        unreachable.incrementAndGet();
        LOG.log(Level.WARNING, "peer " + link.getKey() + " unreachable; " + lost + " frames dropped");
        listener.unreachable(link.getKey(), lost);
        continue;
      }
      for (byte[] d : again) sendRaw(link.getKey(), d);
      retransmitted.addAndGet(again.size());
    }
  }

  /** Exponential backoff, capped at 8 times the first timeout. */
  private long timeout(int attempts) {
    return config.retransmitAfter().toNanos() << Math.min(attempts - 1, 3);
  }

  private void onLinkAck(InetSocketAddress peer, Packet.LinkAck ack) {
    Outgoing out = outgoing.get(peer);
    if (out == null) return;
    List<byte[]> now;
    synchronized (out) {
      if (out.epoch != ack.epoch()) return; // for a link given up since
      out.pending.headMap(ack.cumulative(), true).clear();
      Pending p = out.pending.get(ack.seq());
      if (p != null) p.held = true;
      now = out.fill(config.window());
    }
    transmit(peer, now);
  }

  // ---- receiving ---------------------------------------------------------------------------------------------

  /** The receiving half of a link from one peer: frames ahead of a gap wait here. */
  private static final class Incoming {
    final long epoch;
    long next = 1;
    final TreeMap<Long, Frame> ahead = new TreeMap<>();

    Incoming(long epoch) {
      this.epoch = epoch;
    }
  }

  /** Datagrams read in one go at most before the link acknowledgements for them leave. */
  private static final int MAX_DRAIN = 64;

  /**
   * Reads a datagram, then every datagram already waiting (up to {@link #MAX_DRAIN}), then acknowledges them: one
   * link acknowledgement per peer for all its datagrams, not one each, which halves the datagrams a busy link
   * carries.
   */
  private void receiveLoop() {
    byte[] buffer = new byte[WireFormat.MAX_DATAGRAM + 1]; // one more: a longer datagram shows as too long
    Map<InetSocketAddress, Packet.LinkAck> acks = new LinkedHashMap<>();
    while (!closed) {
      try {
        DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
        socket.receive(packet);
        int read = 0;
        do {
          handle(packet, acks);
          packet = new DatagramPacket(buffer, buffer.length);
        } while (++read < MAX_DRAIN && socket.receiveWaiting(packet));
      } catch (IOException e) {
        if (!closed) LOG.log(Level.WARNING, "tunnel " + address() + " cannot receive: " + e.getMessage());
        if (socket.isClosed()) return;
      } finally {
        acks.forEach((peer, ack) -> sendRaw(peer, WireFormat.encode(ack)));
        acks.clear();
      }
    }
  }

  private void handle(DatagramPacket packet, Map<InetSocketAddress, Packet.LinkAck> acks) {
    received.incrementAndGet();
    InetSocketAddress from = (InetSocketAddress) packet.getSocketAddress();
    Packet p;
    try {
      p = WireFormat.decode(packet.getData(), packet.getOffset(), packet.getLength());
    } catch (MalformedFrameException e) {
      malformed.incrementAndGet();
      LOG.log(Level.DEBUG, "ignored a datagram from " + from + ": " + e.getMessage());
      return;
    }
    try {
      if (p instanceof Packet.LinkAck a) onLinkAck(from, a);
      else {
        Packet.LinkAck ack = onCarrier(from, (Packet.Carrier) p);
        if (ack != null) acks.merge(from, ack, UdpTunnel::later);
      }
    } catch (RuntimeException e) { // a handler's bug must not stop the host's network
      LOG.log(Level.ERROR, "tunnel " + address() + " failed on a datagram from " + from, e);
    }
  }

  /** Of two acknowledgements to one peer, the one that says more: a newer link's, else the later one. */
  private static Packet.LinkAck later(Packet.LinkAck earlier, Packet.LinkAck next) {
    return next.epoch() >= earlier.epoch() ? next : earlier;
  }

  /** Takes in a carried frame; returns the link acknowledgement it calls for, or null. */
  private Packet.LinkAck onCarrier(InetSocketAddress from, Packet.Carrier c) {
    Incoming in = incoming.get(from);
    if (in == null || c.epoch() > in.epoch) { // a peer's first link, or a fresh one (restart, or it gave us up)
      in = new Incoming(c.epoch());
      incoming.put(from, in);
    } else if (c.epoch() < in.epoch) {
      stale.incrementAndGet(); // a straggler of a link replaced since: neither delivered nor acked
      return null;
    }
    long seq = c.linkSeq();
    if (seq < in.next || in.ahead.containsKey(seq)) {
      duplicates.incrementAndGet();
    } else if (seq - in.next < 2L * config.window()) {
      in.ahead.put(seq, c.frame());
      while (!in.ahead.isEmpty() && in.ahead.firstKey() == in.next) {
        deliver(in.ahead.pollFirstEntry().getValue());
        in.next++;
      }
    } else {
      return null; // beyond any window the sender keeps: not held, so not acked
    }
    return new Packet.LinkAck(c.epoch(), in.next - 1, seq);
  }

  private void deliver(Frame frame) {
    Consumer<Frame> handler = handlers.get(frame.group());
    if (handler == null) {
      unknownGroup.incrementAndGet(); // acked all the same: retransmitting would not make the group appear
      return;
    }
    delivered.incrementAndGet();
    try {
      handler.accept(frame);
    } catch (RuntimeException e) { // the frame counts as delivered: the link must move on, not stall
      LOG.log(Level.ERROR, "handler of group " + frame.group() + " failed", e);
    }
  }
}
