package org.vmqsc.agent.net;

import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import org.vmqsc.agent.node.Relay;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.Message;
import org.vmqsc.protocol.host.HostAction.DropReason;

/**
 * One group's relay on one host: frames for the group's VMs leave through the host's {@link UdpTunnel} to the host
 * that runs the receiver ({@link Placement}); frames for VMs of this host skip the network. Whatever arrives is
 * handed to the node on its executor, never on the tunnel's thread, since the node is single-threaded.
 */
public final class UdpRelay implements Relay, AutoCloseable {

  private static final System.Logger LOG = System.getLogger(UdpRelay.class.getName());

  private final String group;
  private final UdpTunnel tunnel;
  private final Placement placement;
  private final Executor nodeExecutor;
  private volatile Inbound inbound;
  /** Frames the node transmitted while the relay was held, in order (node's thread only). */
  private final List<Frame.Data> held = new ArrayList<>();
  private boolean holding;
  private final AtomicLong unroutable = new AtomicLong(), dropped = new AtomicLong(), failed = new AtomicLong();

  public UdpRelay(String group, UdpTunnel tunnel, Placement placement, Executor nodeExecutor) {
    this.group = group;
    this.tunnel = tunnel;
    this.placement = placement;
    this.nodeExecutor = nodeExecutor;
    tunnel.register(group, this::onFrame);
  }

  /** The node this relay feeds; frames that arrive before it is attached are refused (counted as failed). */
  public void attach(Inbound node) {
    this.inbound = node;
  }

  /**
   * Holds the frames the node transmits from now until {@link #release}, on the node's thread: the process records
   * a guest's send in its event log before the frame can reach the receiver, so that a SIGKILL between the two
   * never leaves a receipt whose send no log holds.
   */
  public void hold() {
    holding = true;
  }

  /** Sends the frames held since {@link #hold}, in order. */
  public void release() {
    holding = false;
    try {
      for (Frame.Data f : held) route(f);
    } finally {
      held.clear(); // a frame that failed to leave is never sent twice
    }
  }

  @Override public void transmit(Message message, byte[] payload) {
    Frame.Data frame = new Frame.Data(group, message, payload);
    if (holding) held.add(frame);
    else route(frame);
  }

  private void route(Frame.Data frame) {
    Message message = frame.message();
    InetSocketAddress host = placement.hostOf(message.to());
    if (host == null) {
      // Lost as on a network to nowhere: the protocol's recovery covers messages to a VM being placed.
      unroutable.incrementAndGet();
      LOG.log(Level.WARNING, "group " + group + ": no host known for VM " + message.to() + "; " + message + " dropped");
      return;
    }
    if (isLocal(host)) {
      WireFormat.check(frame); // the same limits whichever host the receiver runs on
      nodeExecutor.execute(() -> onData(frame));
    } else {
      tunnel.send(host, frame);
    }
  }

  /** One acknowledgement frame per sender host (several when the share is large), as the Relay contract says. */
  @Override public void acknowledge(List<LogEntry> batch) {
    Map<InetSocketAddress, List<LogEntry>> bySenderHost = new LinkedHashMap<>();
    for (LogEntry e : batch) {
      InetSocketAddress host = placement.hostOf(e.message().from());
      if (host == null) unroutable.incrementAndGet();
      else bySenderHost.computeIfAbsent(host, h -> new ArrayList<>()).add(e);
    }
    bySenderHost.forEach((host, share) -> {
      if (isLocal(host)) {
        nodeExecutor.execute(() -> onAcks(new Frame.Acks(group, share)));
        return;
      }
      for (int i = 0; i < share.size(); i += WireFormat.MAX_ACK_ENTRIES) {
        tunnel.send(host, new Frame.Acks(group, share.subList(i, Math.min(share.size(), i + WireFormat.MAX_ACK_ENTRIES))));
      }
    });
  }

  @Override public void dropped(Message message, DropReason reason) {
    dropped.incrementAndGet();
  }

  /** Messages the node dropped, frames with no known host, and frames the node refused. */
  public long droppedCount() {
    return dropped.get();
  }

  public long unroutableCount() {
    return unroutable.get();
  }

  public long failedCount() {
    return failed.get();
  }

  /** Stops taking frames of this group; the tunnel stays for the host's other groups. */
  @Override public void close() {
    tunnel.unregister(group);
  }

  /** This host's tunnel address, as placements name it. */
  public InetSocketAddress address() {
    return tunnel.address();
  }

  private boolean isLocal(InetSocketAddress host) {
    return host.equals(tunnel.address());
  }

  /**
   * On the tunnel's thread: only hand over, one task per frame. A frame's task must take its place among the node's
   * other work in arrival order (a rollback or thaw queued before a frame arrived runs before it), so frames are
   * not gathered into one task: a task that took every frame waiting would run frames that arrived after such an
   * order before it.
   */
  private void onFrame(Frame frame) {
    if (frame instanceof Frame.Data d) nodeExecutor.execute(() -> onData(d));
    else nodeExecutor.execute(() -> onAcks((Frame.Acks) frame));
  }

  private void onData(Frame.Data d) {
    run(() -> inbound.onArrival(d.message(), d.payload()), d.message().toString());
  }

  private void onAcks(Frame.Acks a) {
    run(() -> inbound.onAcknowledgements(a.entries()), a.entries().size() + " acknowledgements");
  }

  /** A frame the node refuses (its VM moved away meanwhile) must not take the node's executor down. */
  private void run(Runnable delivery, String what) {
    try {
      if (inbound == null) throw new IllegalStateException("no node attached");
      delivery.run();
    } catch (RuntimeException e) {
      failed.incrementAndGet();
      LOG.log(Level.WARNING, "group " + group + ": node refused " + what + ": " + e.getMessage());
    }
  }
}
