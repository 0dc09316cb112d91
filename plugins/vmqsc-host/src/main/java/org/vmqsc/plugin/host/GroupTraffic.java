package org.vmqsc.plugin.host;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.function.IntConsumer;
import java.util.function.IntFunction;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.vmqsc.agent.net.Ethernet;
import org.vmqsc.agent.net.GuestNics;
import org.vmqsc.agent.net.Inbound;
import org.vmqsc.agent.net.Placement;
import org.vmqsc.agent.net.UdpRelay;
import org.vmqsc.agent.net.UdpTunnel;
import org.vmqsc.agent.node.HostNode;
import org.vmqsc.agent.wire.WireMessages.Deploy;
import org.vmqsc.agent.wire.WireMessages.Member;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.Message;

/**
 * One group's guest traffic on one host: the switch of its VMs' NICs on the relay network ({@link GuestNics}) and
 * its relay to the other hosts ({@link UdpRelay} over the host's tunnel). A frame a guest sends becomes a message
 * of the protocol ({@link HostNode#send}: stamped with the sender's index, carried to the receiver's host, logged
 * there); a message the node delivers goes into the receiver's NIC. Every call here runs on the host agent's lock,
 * the frames' hand-overs included (their executor takes the lock).
 */
final class GroupTraffic implements AutoCloseable {

  private static final Logger LOG = LogManager.getLogger(GroupTraffic.class);

  private final String group;
  private final HostTraffic host;
  private final Placement placement = new Placement();
  private final UdpRelay relay;
  private final GuestNics nics;
  private HostNode node;
  /** How the group cuts a guest before the node moves its index (see {@link GroupNode#cutAround}). */
  private Cuts cuts = (vms, call) -> call.run();
  /** Hears each frame a guest of this host sent, before the node stamps it (the guest's position moves). */
  private IntConsumer onSent = vm -> { };
  private IntFunction<String> vmUuid = vm -> null;
  /**
   * While the group is held still: the frames for this host's VMs that arrived, and before them the messages the
   * node delivered meanwhile (replays into a restored guest), in order; null when not held.
   */
  private List<Runnable> held;
  private List<Runnable> heldDeliveries;
  /**
   * Frames for VMs placed on this host that do not run here yet, by VM, in arrival order: when a group starts,
   * each host boots its own VMs, and a VM already booted elsewhere may send to one whose host has not yet.
   */
  private final Map<Integer, List<Runnable>> waitingForBoot = new HashMap<>();
  /** VMs placed here that do not run here yet (see {@link #place}), and the frames they sent meanwhile. */
  private final Set<Integer> expected = new HashSet<>();
  private final Map<Integer, List<Runnable>> sentBeforeRunning = new HashMap<>();

  /** Runs a node call that may move the indices of {@code vms} around a cut of their guests. */
  interface Cuts {
    void around(Collection<Integer> vms, Runnable nodeCall);
  }

  private GroupTraffic(String group, HostTraffic host, UdpTunnel tunnel, Map<Integer, Long> macs, Executor onLock,
                       Deploy deploy) throws IOException {
    this.group = group;
    this.host = host;
    for (Member m : deploy.members()) {
      if (m.tunnel() != null) placement.place(m.number(), UdpTunnel.parseAddress(m.tunnel()));
    }
    this.relay = new UdpRelay(group, tunnel, placement, onLock);
    GuestNics switchOfGroup;
    try {
      switchOfGroup = new GuestNics(group, macs, onLock, this::fromGuest);
    } catch (IOException | RuntimeException e) {
      relay.close();
      throw e;
    }
    this.nics = switchOfGroup;
  }

  /**
   * The group's traffic on this host, or null when it cannot have any: a member without a MAC on the relay network
   * (its frames could not be told apart), or no tunnel for this host (neither {@code relay} nor a member names it).
   * Either is logged: the group's checkpoints run on, its guests' messages are not logged.
   */
  static GroupTraffic of(Deploy deploy, String hostUuid, String relay, HostTraffic host, Executor onLock) {
    Map<Integer, Long> macs = new HashMap<>();
    for (Member m : deploy.members()) {
      if (m.mac() == null) {
        LOG.warn("vmqsc: VM {} of group {} has no NIC on the relay network: the group's traffic is not logged",
            m.vmUuid(), deploy.group());
        return null;
      }
      macs.put(m.number(), Ethernet.parseMac(m.mac()));
    }
    try {
      UdpTunnel tunnel = host.tunnel(relay != null ? relay : ownTunnel(deploy, hostUuid));
      if (tunnel == null) {
        LOG.warn("vmqsc: host {} does not know its relay address: group {}'s traffic is not carried here",
            hostUuid, deploy.group());
        return null;
      }
      return new GroupTraffic(deploy.group(), host, tunnel, macs, onLock, deploy);
    } catch (IOException | RuntimeException e) {
      LOG.warn("vmqsc: group {}'s traffic cannot run on host {}: {}", deploy.group(), hostUuid, e.getMessage());
      return null;
    }
  }

  private static String ownTunnel(Deploy deploy, String hostUuid) {
    for (Member m : deploy.members()) if (hostUuid.equals(m.hostUuid())) return m.tunnel();
    return null;
  }

  UdpRelay relay() {
    return relay;
  }

  void attach(HostNode node) {
    this.node = node;
    relay.attach(new Inbound() {
      @Override public void onArrival(Message m, byte[] payload) {
        arrival(m, payload);
      }

      @Override public void onAcknowledgements(List<LogEntry> batch) {
        node.onAcknowledgements(batch);
      }
    });
  }

  void cuts(Cuts cuts) {
    this.cuts = cuts;
  }

  /** Frames that arrive from now on wait for {@link #release} (the group is held still by a recovery). */
  void hold() {
    if (held != null) return;
    held = new ArrayList<>();
    heldDeliveries = new ArrayList<>();
  }

  /**
   * The guests run again: the messages delivered to them meanwhile go into their NICs, then the frames that
   * arrived for them go to the node, each in its order.
   */
  void release() {
    List<Runnable> deliveries = heldDeliveries, arrivals = held;
    held = null;
    heldDeliveries = null;
    if (deliveries != null) deliveries.forEach(Runnable::run);
    if (arrivals != null) arrivals.forEach(Runnable::run);
  }

  /** VM {@code vm} was restored here: frames that waited for it are of the execution the restore discards. */
  void notBooting(int vm) {
    waitingForBoot.remove(vm);
    sentBeforeRunning.remove(vm);
    expected.remove(vm);
  }

  /**
   * VM {@code vm} runs here now (booted, or taken over from a migration): what it sent before the node ran it, then
   * the frames that came for it, go to the node, each in order.
   */
  void booted(int vm) {
    expected.remove(vm);
    List<Runnable> sent = sentBeforeRunning.remove(vm);
    if (sent != null) sent.forEach(Runnable::run);
    List<Runnable> waiting = waitingForBoot.remove(vm);
    if (waiting != null) waiting.forEach(Runnable::run);
  }

  /** A frame for one of this host's VMs; one with a higher index forces its receiver's checkpoint: cut it first. */
  private void arrival(Message m, byte[] payload) {
    if (held != null) {
      held.add(() -> arrival(m, payload));
      return;
    }
    if (!node.runs(m.to()) && relay.address().equals(placement.hostOf(m.to()))) {
      waitingForBoot.computeIfAbsent(m.to(), vm -> new ArrayList<>()).add(() -> arrival(m, payload));
      return;
    }
    if (node.runs(m.to()) && m.index() > node.index(m.to())) {
      cuts.around(List.of(m.to()), () -> node.onArrival(m, payload));
    } else {
      node.onArrival(m, payload);
    }
  }

  void onSent(IntConsumer onSent) {
    this.onSent = onSent;
  }

  void vmUuids(IntFunction<String> vmUuid) {
    this.vmUuid = vmUuid;
  }

  /** A frame a guest of this host sent to VM {@code to}: a message of the protocol, at the sender's index now. */
  private void fromGuest(int from, int to, byte[] frame) {
    if (node == null) return;
    if (!node.runs(from) && expected.contains(from)) {
      sentBeforeRunning.computeIfAbsent(from, vm -> new ArrayList<>()).add(() -> fromGuest(from, to, frame));
      return;
    }
    if (!node.runs(from)) return;
    onSent.accept(from);
    node.send(from, to, frame, Arrays.hashCode(frame));
  }

  /** VM {@code vm} runs here from now on: its NIC on the relay network joins the group's switch. */
  void here(int vm, String vmUuid) {
    if (nics.attached(vm)) return;
    try {
      host.nicPort().attach(nics, vm, vmUuid);
    } catch (IOException | RuntimeException e) {
      LOG.warn("vmqsc: the NIC of VM {} ({}) of group {} is not on the relay: {}", vm, vmUuid, group, e.getMessage());
    }
  }

  /** VM {@code vm} no longer runs here. */
  void gone(int vm) {
    nics.detach(vm);
    waitingForBoot.remove(vm);
    sentBeforeRunning.remove(vm);
    expected.remove(vm);
  }

  boolean attached(int vm) {
    return nics.attached(vm);
  }

  /** Waits until the frames written into VM {@code vm}'s NIC have reached its guest ({@link GuestNics#awaitTaken}). */
  void awaitTaken(int vm) {
    nics.awaitTaken(vm);
  }

  /** The same before the cut pauses any guest ({@link GuestNics#awaitTakenEarly}). */
  void awaitTakenEarly(int vm) {
    nics.awaitTakenEarly(vm);
  }

  /** Hands on every frame VM {@code vm}'s guest sent so far; the guest must be paused. */
  void cut(int vm) throws IOException {
    nics.cut(vm);
  }

  /**
   * Writes a message's frame into its receiver's NIC (lost, as on a wire, when the guest cannot take it); while
   * the group is held, once its guests run again.
   */
  void toGuest(int vm, byte[] frame) {
    if (heldDeliveries != null) heldDeliveries.add(() -> nics.toGuest(vm, frame));
    else nics.toGuest(vm, frame);
  }

  /**
   * VM {@code vm} runs on the host whose tunnel is {@code tunnel} now, or is about to (a live migration under way
   * names its target before the hypervisor moves the guest). A VM placed here that does not run here yet is
   * expected: its NIC joins the switch now, and what it sends waits, like the frames for it, until it runs here
   * ({@link #booted}); one placed elsewhere is no longer expected here.
   */
  void place(int vm, String tunnel) {
    if (tunnel == null) return;
    InetSocketAddress at = UdpTunnel.parseAddress(tunnel);
    placement.place(vm, at);
    if (node.runs(vm)) return;
    if (at.equals(relay.address())) {
      expected.add(vm);
      here(vm, vmUuid.apply(vm));
    } else if (expected.remove(vm)) {
      gone(vm);
    }
  }

  GuestNics.Counts counts() {
    return nics.counts();
  }

  @Override public void close() {
    nics.close();
    relay.close();
  }
}
