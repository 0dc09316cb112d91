package org.vmqsc.lab;

import com.sun.management.OperatingSystemMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.vmqsc.agent.log.LoggedMessage;
import org.vmqsc.agent.log.MemoryMessageStore;
import org.vmqsc.agent.log.MessageLog;
import org.vmqsc.agent.net.Ethernet;
import org.vmqsc.agent.net.GuestNics;
import org.vmqsc.agent.net.Inbound;
import org.vmqsc.agent.net.Placement;
import org.vmqsc.agent.net.PeerListener;
import org.vmqsc.agent.net.TunnelConfig;
import org.vmqsc.agent.net.UdpRelay;
import org.vmqsc.agent.net.UdpTunnel;
import org.vmqsc.agent.node.Guests;
import org.vmqsc.agent.node.HostNode;
import org.vmqsc.protocol.BoundaryRecord;
import org.vmqsc.protocol.GroupConfig;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.VmClass;
import org.vmqsc.protocol.recovery.Replay;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./vmqsc bench relay}: Ethernet frames between two guests' NIC backends, once straight from socket to socket
 * and once through the relay — the guest's NIC port ({@link GuestNics}), the sender's {@link HostNode} (stamp, keep
 * the payload), the tunnel between two agents, the receiver's node (log, deliver) and the receiver's NIC port — with
 * the same sockets, frames and load generator, in one run. Latency is half the round trip of a ping answered by the
 * other guest; throughput is frames carried with at most a window of them unanswered, and the relay's CPU time is
 * that of its own threads (NIC reader, agent loop, tunnel), read from the JVM, over the same frames.
 */
@Command(name = "relay", mixinStandardHelpOptions = true,
    description = "Frames per second and added latency through the relay (NIC port, node with logging, tunnel), "
        + "side by side with a direct UDP path on the same machine in the same run.")
public final class RelayBenchCommand implements Callable<Integer> {

  @Option(names = "--pings", defaultValue = "20000", description = "Round trips per path and run (default ${DEFAULT-VALUE}).")
  int pings;

  @Option(names = "--frames", defaultValue = "200000", description = "Frames per throughput run (default ${DEFAULT-VALUE}).")
  int frames;

  @Option(names = "--frame-bytes", defaultValue = "64",
      description = "Ethernet frame size, header included (default ${DEFAULT-VALUE}: a small UDP message).")
  int frameBytes;

  @Option(names = "--base-period-ms", defaultValue = "500",
      description = "The group's base period: a boundary passes and the line follows this often while frames flow "
          + "(default ${DEFAULT-VALUE}; 0: never, the nodes keep every payload).")
  long basePeriodMillis;

  @Option(names = "--runs", defaultValue = "3", description = "Runs of every path, interleaved; medians reported (default ${DEFAULT-VALUE}).")
  int runs;

  private static final long MAC_A = 0x5254_0077_0000L, MAC_B = 0x5254_0077_0001L;
  private static final int WINDOW = 256;
  private static final OperatingSystemMXBean OS = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

  /** What one path measured in one run. */
  private record Run(List<Double> oneWayMicros, double framesPerSecond, double cpuSeconds, long lost) {}

  @Override public Integer call() throws Exception {
    if (pings < 100 || pings > 10_000_000) throw new IllegalArgumentException("--pings must be 100..10000000, got " + pings);
    if (frames < 1000 || frames > 100_000_000) throw new IllegalArgumentException("--frames must be 1000..100000000, got " + frames);
    if (basePeriodMillis < 0 || basePeriodMillis > 3_600_000) {
      throw new IllegalArgumentException("--base-period-ms must be 0..3600000, got " + basePeriodMillis);
    }
    if (frameBytes < Ethernet.HEADER_BYTES + 4 || frameBytes > Ethernet.MAX_FRAME_BYTES) {
      throw new IllegalArgumentException("--frame-bytes must be " + (Ethernet.HEADER_BYTES + 4) + ".." + Ethernet.MAX_FRAME_BYTES + ", got " + frameBytes);
    }
    if (runs < 1 || runs > 20) throw new IllegalArgumentException("--runs must be 1..20, got " + runs);
    System.out.printf(Locale.ROOT, "machine: %d cores, load average %.2f, Java %s%n",
        Runtime.getRuntime().availableProcessors(), OS.getSystemLoadAverage(), System.getProperty("java.version"));
    System.out.printf(Locale.ROOT, "%d-byte frames; %d round trips and %d frames (window %d) per path, %d runs interleaved%n",
        frameBytes, pings, frames, WINDOW, runs);

    Map<String, List<Run>> results = new LinkedHashMap<>();
    for (String path : List.of("direct", "relay, same host", "relay, across hosts")) results.put(path, new ArrayList<>());
    for (int r = 1; r <= runs; r++) {
      for (String path : results.keySet()) {
        Run run = measure(path);
        results.get(path).add(run);
        System.out.printf(Locale.ROOT, "  run %d %-20s p50 %6.1f µs  p99 %7.1f µs  %9.0f frames/s  relay cpu %.2f s%s%n", r, path,
            BenchFigures.median(run.oneWayMicros()), BenchFigures.percentile(run.oneWayMicros(), 99), run.framesPerSecond(),
            run.cpuSeconds(), run.lost() > 0 ? "  LOST " + run.lost() : "");
      }
    }
    report(results);
    return 0;
  }

  private void report(Map<String, List<Run>> results) {
    List<Run> direct = results.get("direct");
    double directP50 = medianOf(direct, run -> BenchFigures.median(run.oneWayMicros()));
    double directP99 = medianOf(direct, run -> BenchFigures.percentile(run.oneWayMicros(), 99));
    System.out.println();
    System.out.println("one-way latency (half a round trip) and throughput, medians of the runs:");
    System.out.printf(Locale.ROOT, "  %-20s %9s %9s %11s %11s %12s %16s%n", "path", "p50 µs", "p99 µs", "added p50", "added p99",
        "frames/s", "frames/relay-cpu-s");
    double maxRate = 0;
    Map<String, Double> perCore = new LinkedHashMap<>();
    for (Map.Entry<String, List<Run>> e : results.entrySet()) {
      List<Run> runs = e.getValue();
      double p50 = medianOf(runs, run -> BenchFigures.median(run.oneWayMicros()));
      double p99 = medianOf(runs, run -> BenchFigures.percentile(run.oneWayMicros(), 99));
      double rate = medianOf(runs, Run::framesPerSecond);
      double relayCpu = medianOf(runs, Run::cpuSeconds);
      boolean isDirect = e.getKey().equals("direct");
      String relayRate = isDirect ? "-" : relayCpu <= 0 ? "n/a" : String.format(Locale.ROOT, "%.0f", frames / relayCpu);
      if (!isDirect && relayCpu > 0) perCore.put(e.getKey(), frames / relayCpu);
      maxRate = Math.max(maxRate, rate);
      System.out.printf(Locale.ROOT, "  %-20s %9.1f %9.1f %11s %11s %12.0f %16s%n", e.getKey(), p50, p99,
          isDirect ? "-" : String.format(Locale.ROOT, "+%.1f", p50 - directP50),
          isDirect ? "-" : String.format(Locale.ROOT, "+%.1f", p99 - directP99), rate, relayRate);
    }
    System.out.println();
    System.out.println("frames per second (wall), carried with a window of " + WINDOW + ":");
    for (Map.Entry<String, List<Run>> e : results.entrySet()) {
      double rate = medianOf(e.getValue(), Run::framesPerSecond);
      System.out.println(BenchFigures.bar(e.getKey(), rate, maxRate, String.format(Locale.ROOT, "%.0f", rate)));
    }
    System.out.println();
    System.out.println("targets (issue: relay on a real NIC): >= 100,000 frames/s per core and <= 100 µs added at p50, logging on");
    for (Map.Entry<String, Double> e : perCore.entrySet()) {
      double added = medianOf(results.get(e.getKey()), run -> BenchFigures.median(run.oneWayMicros())) - directP50;
      System.out.printf(Locale.ROOT, "  %-20s %8.0f frames per relay CPU-second (%s), +%.1f µs at p50 (%s)%n", e.getKey(),
          e.getValue(), e.getValue() >= 100_000 ? "met" : "not met", added, added <= 100 ? "met" : "not met");
    }
  }

  private interface Metric {
    double of(Run run);
  }

  private static double medianOf(List<Run> runs, Metric metric) {
    List<Double> values = new ArrayList<>();
    for (Run r : runs) values.add(metric.of(r));
    return BenchFigures.median(values);
  }

  // ---- one path ------------------------------------------------------------------------------------------------

  private Run measure(String path) throws Exception {
    try (Endpoint a = new Endpoint(MAC_A, MAC_B); Endpoint b = new Endpoint(MAC_B, MAC_A)) {
      try (Wiring wiring = wire(path, a, b)) {
        b.echo(true);
        List<Double> oneWay = a.pingPong(pings / 10, frameBytes); // warm-up: JIT, socket buffers, ARP-free paths
        oneWay = a.pingPong(pings, frameBytes);
        b.echo(false);
        a.blast(frames / 10, frameBytes, b);
        long cpu0 = relayCpuNanos();
        long t0 = System.nanoTime();
        long lost = a.blast(frames, frameBytes, b);
        double wall = (System.nanoTime() - t0) / 1e9;
        double cpu = (relayCpuNanos() - cpu0) / 1e9;
        return new Run(oneWay, frames / wall, cpu, lost + a.lostPings);
      }
    }
  }

  /** CPU time of the relay's own threads so far: NIC reader, agent loop, tunnel (not the bench's guests). */
  private static long relayCpuNanos() {
    java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long sum = 0;
    for (java.lang.management.ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds())) {
      if (t == null) continue;
      String name = t.getThreadName();
      if (name.startsWith("bench-relay-") || name.startsWith("vmqsc-nics-") || name.startsWith("vmqsc-tunnel-")) {
        long cpu = threads.getThreadCpuTime(t.getThreadId());
        if (cpu > 0) sum += cpu;
      }
    }
    return sum;
  }

  private Wiring wire(String path, Endpoint a, Endpoint b) throws IOException {
    switch (path) {
      case "direct" -> {
        a.target = b.address();
        b.target = a.address();
        return () -> {};
      }
      case "relay, same host" -> {
        Placement placement = new Placement();
        RelayHost h = new RelayHost("h1", placement, Set.of(0, 1));
        placement.place(0, h.tunnel.address());
        placement.place(1, h.tunnel.address());
        a.target = h.attach(0, a.address());
        b.target = h.attach(1, b.address());
        h.start(basePeriodMillis);
        return h::close;
      }
      default -> {
        Placement placement = new Placement();
        RelayHost h1 = new RelayHost("h1", placement, Set.of(0));
        RelayHost h2 = new RelayHost("h2", placement, Set.of(1));
        placement.place(0, h1.tunnel.address());
        placement.place(1, h2.tunnel.address());
        a.target = h1.attach(0, a.address());
        b.target = h2.attach(1, b.address());
        h1.start(basePeriodMillis);
        h2.start(basePeriodMillis);
        return () -> {
          h1.close();
          h2.close();
        };
      }
    }
  }

  private interface Wiring extends AutoCloseable {
    @Override void close();
  }

  /**
   * One agent with the relay on: its loop thread, tunnel, node (SI VMs, an in-memory volatile log) and the NIC
   * ports of its guests. The guests are the bench's sockets; the node hands them what it delivers.
   */
  private static final class RelayHost implements Guests, AutoCloseable {
    final ScheduledExecutorService loop;
    final UdpTunnel tunnel;
    final UdpRelay relay;
    final HostNode node;
    final GuestNics nics;
    final Set<Integer> here;
    final long[] position = new long[2];
    /** The last base boundary passed (loop thread only). */
    long boundary;

    RelayHost(String name, Placement placement, Set<Integer> vms) throws IOException {
      this.here = new HashSet<>(vms);
      this.loop = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "bench-relay-" + name);
        t.setDaemon(true);
        return t;
      });
      this.tunnel = UdpTunnel.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), TunnelConfig.defaults(),
          PeerListener.IGNORE);
      this.relay = new UdpRelay("bench", tunnel, placement, loop);
      GroupConfig config = new GroupConfig(60_000, List.of(VmClass.SI, VmClass.SI));
      this.node = new HostNode(name, "bench", config, new MessageLog(new MemoryMessageStore()), relay, this,
          write -> {}, (group, batch) -> {}, () -> 0);
      relay.attach(Inbound.of(node));
      this.nics = new GuestNics("bench", Map.of(0, MAC_A, 1, MAC_B), loop,
          (from, to, frame) -> node.send(from, to, frame, Arrays.hashCode(frame)));
    }

    InetSocketAddress attach(int vm, InetSocketAddress guestEnd) throws IOException {
      return nics.attach(vm, guestEnd);
    }

    void start(long basePeriodMillis) {
      try {
        loop.submit(() -> here.forEach(node::start)).get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new IllegalStateException("the bench's node did not start its VMs", e);
      }
      // A base period passes every --base-period-ms and the line follows one behind, as on a host whose checkpoints
      // all become stable: the node checkpoints, logs and collects while the frames flow, and its stores stay
      // bounded instead of growing with every frame of the run.
      if (basePeriodMillis == 0) return;
      loop.scheduleAtFixedRate(() -> {
        node.onBoundary(++boundary);
        node.onLine(boundary - 1);
      }, basePeriodMillis, basePeriodMillis, TimeUnit.MILLISECONDS);
    }

    @Override public boolean running(int vm) {
      return here.contains(vm);
    }

    @Override public long position(int vm) {
      return position[vm];
    }

    @Override public void deliver(LogEntry entry, byte[] payload, Replay replay) {
      int to = entry.message().to();
      position[to]++;
      nics.toGuest(to, payload);
    }

    @Override public void checkpoint(BoundaryRecord checkpoint) {
      // Nothing is stored (the bench measures the relay, not the checkpoint engine), but the node hears it staged,
      // as a host's does a moment later: its receive logs behind the line are collected only after that.
      loop.execute(() -> node.onCheckpointStaged(checkpoint, "bench", 0, "bench"));
    }

    @Override public void rebuild(int vm, BoundaryRecord checkpoint, String location, List<LoggedMessage> replay, long until) {
      throw new UnsupportedOperationException("no recovery in the relay bench");
    }

    @Override public void stop(int vm) {
      here.remove(vm);
    }

    @Override public void close() {
      nics.close();
      relay.close();
      tunnel.close();
      loop.shutdownNow();
    }
  }

  /**
   * A guest's NIC backend as QEMU has it: a UDP socket on loopback. It sends frames to its target (the other
   * endpoint, or its port on the relay) and can answer every frame it receives with the same frame back.
   */
  private static final class Endpoint implements AutoCloseable {
    final long mac, peerMac;
    final DatagramChannel channel;
    volatile InetSocketAddress target;
    final AtomicLong received = new AtomicLong();
    private volatile boolean echo;
    private volatile boolean closed;
    private final Thread receiver;
    long lostPings;

    Endpoint(long mac, long peerMac) throws IOException {
      this.mac = mac;
      this.peerMac = peerMac;
      this.channel = DatagramChannel.open();
      channel.setOption(StandardSocketOptions.SO_RCVBUF, 4 << 20);
      channel.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      this.receiver = new Thread(this::receive, "bench-guest-" + Long.toHexString(mac));
      receiver.setDaemon(true);
    }

    InetSocketAddress address() throws IOException {
      return (InetSocketAddress) channel.getLocalAddress();
    }

    /** The other endpoint answers each frame (latency) or only counts them (throughput). */
    void echo(boolean on) {
      echo = on;
      if (!receiver.isAlive()) receiver.start();
    }

    private void receive() {
      ByteBuffer in = ByteBuffer.allocateDirect(Ethernet.MAX_FRAME_BYTES);
      while (!closed) {
        try {
          in.clear();
          channel.receive(in);
          received.incrementAndGet();
          if (echo) {
            in.flip();
            ByteBuffer out = ByteBuffer.allocate(in.remaining());
            out.put(in).flip();
            header(out, peerMac, mac);
            channel.send(out, target);
          }
        } catch (IOException e) {
          if (!closed) throw new IllegalStateException(e);
        }
      }
    }

    private static void header(ByteBuffer frame, long to, long from) {
      frame.putShort(0, (short) (to >>> 32)).putInt(2, (int) to).putShort(6, (short) (from >>> 32)).putInt(8, (int) from)
          .putShort(12, (short) 0x0800);
    }

    private ByteBuffer frame(int bytes, int number) {
      ByteBuffer f = ByteBuffer.allocate(bytes);
      header(f, peerMac, mac);
      f.putInt(Ethernet.HEADER_BYTES, number);
      return f;
    }

    /**
     * Round trips, one at a time, the answer read on this thread (no receiver thread of this endpoint competes for
     * a core); a frame not answered within a second is counted as lost, not timed.
     */
    List<Double> pingPong(int count, int bytes) throws IOException {
      List<Double> oneWay = new ArrayList<>(count);
      java.net.DatagramSocket socket = channel.socket();
      socket.setSoTimeout(1000);
      java.net.DatagramPacket answer = new java.net.DatagramPacket(new byte[Ethernet.MAX_FRAME_BYTES], Ethernet.MAX_FRAME_BYTES);
      for (int i = 0; i < count; i++) {
        long t0 = System.nanoTime();
        channel.send(frame(bytes, i), target);
        while (true) {
          try {
            socket.receive(answer);
          } catch (java.net.SocketTimeoutException e) {
            lostPings++;
            break;
          }
          // An answer to an earlier ping that timed out is not this one's.
          if (ByteBuffer.wrap(answer.getData(), Ethernet.HEADER_BYTES, 4).getInt() == i) {
            oneWay.add((System.nanoTime() - t0) / 2e3);
            break;
          }
        }
      }
      return oneWay;
    }

    /** Sends {@code count} frames keeping at most a window unreceived by {@code to}; returns how many never came. */
    long blast(int count, int bytes, Endpoint to) throws IOException, InterruptedException {
      long base = to.received.get();
      ByteBuffer f = frame(bytes, 0);
      for (int i = 0; i < count; i++) {
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (i - (to.received.get() - base) >= WINDOW) {
          if (System.nanoTime() > deadline) return count - (to.received.get() - base); // frames were lost
          java.util.concurrent.locks.LockSupport.parkNanos(20_000); // leave the cores to the path measured
        }
        f.putInt(Ethernet.HEADER_BYTES, i).rewind();
        channel.send(f, target);
      }
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (to.received.get() - base < count && System.nanoTime() < deadline) Thread.sleep(1);
      return count - (to.received.get() - base);
    }

    @Override public void close() throws IOException {
      closed = true;
      channel.close();
    }
  }
}
