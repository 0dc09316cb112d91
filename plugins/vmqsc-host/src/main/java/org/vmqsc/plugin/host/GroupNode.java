package org.vmqsc.plugin.host;

import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.vmqsc.agent.log.MessageLog;
import org.vmqsc.agent.log.StableMessageStore;
import org.vmqsc.agent.node.HostClock;
import org.vmqsc.agent.node.HostNode;
import org.vmqsc.agent.node.ManagerLink;
import org.vmqsc.agent.node.NodeReport;
import org.vmqsc.agent.node.Relay;
import org.vmqsc.agent.wire.WireMessages.Deploy;
import org.vmqsc.agent.wire.WireMessages.Member;
import org.vmqsc.agent.wire.WireMessages.Report;

/**
 * One protection group on one host: agent-ext's {@link HostNode} with this host's ports. Its clock counts base
 * boundaries from the group's start on the host's own clock; a checkpoint tick passes the boundaries reached since
 * the previous one (the checkpoints due start on the host's executor) and hands back what the node reported
 * meanwhile.
 *
 * <p>With the group's traffic here ({@link GroupTraffic}), the node's index moves only around a cut: the guests
 * whose index may move are paused and every frame they sent so far is taken first (stamped with the old index), so
 * each frame carries the index it was sent at; each guest's checkpoint is then of that paused instant and runs the
 * guest again. A frame stamped one period late would, after a rollback to that checkpoint, be neither resent nor
 * replayed; one stamped early could land in its receiver's checkpoint of that index, an orphan.
 */
final class GroupNode implements HostClock, ManagerLink {

  private static final Logger LOG = LogManager.getLogger(GroupNode.class);

  private final Deploy deploy;
  private final Clock clock;
  private final HostNode node;
  private final DriverGuests guests;
  /** The group's traffic on this host; null when its guests' messages are not carried (then frames are only kept). */
  private final GroupTraffic traffic;
  private final List<NodeReport> outbox = new ArrayList<>();
  /** The last base boundary the node passed. */
  private long passed;
  /** Why the group stands still here (see {@link #hold}): no boundary is passed while any reason remains. */
  private final EnumSet<Hold> holds = EnumSet.noneOf(Hold.class);

  GroupNode(String hostUuid, Deploy deploy, CheckpointExecutor checkpoints, StableMessageStore logs, Clock clock,
            GroupTraffic traffic) {
    this.deploy = deploy;
    this.clock = clock;
    this.traffic = traffic;
    this.guests = new DriverGuests(checkpoints, deploy.group(), this::vmUuid);
    StableLogWriter writer = new StableLogWriter(deploy.group(), logs);
    Relay relay = traffic == null ? new OutboundRelay() : traffic.relay();
    this.node = new HostNode(hostUuid, deploy.group(), deploy.config(), new MessageLog(logs), relay, guests, writer,
        this, this);
    guests.attach(node);
    writer.attach(node);
    if (traffic != null) {
      traffic.attach(node);
      traffic.cuts(this::cutAround);
      traffic.onSent(guests::sent);
      traffic.vmUuids(this::vmUuid);
      guests.carry(traffic);
    }
    this.passed = index(); // boundaries before this host got the group are not its to pass
  }

  HostNode node() {
    return node;
  }

  DriverGuests guests() {
    return guests;
  }

  /** The group's traffic on this host, or null. */
  GroupTraffic traffic() {
    return traffic;
  }

  /** The base boundary the host's clock has reached (boundary 0 at the group's start). */
  @Override public long index() {
    long elapsed = clock.millis() - deploy.epochMillis();
    return elapsed < 0 ? -1 : elapsed / deploy.config().basePeriod();
  }

  @Override public void report(String groupId, List<NodeReport> batch) {
    outbox.addAll(batch);
  }

  /** Passes every boundary reached since the last tick (checkpoints started, log writes due), unless frozen. */
  void tick() {
    if (!holds.isEmpty()) return;
    long now = index();
    for (long i = passed + 1; i <= now; i++) {
      long boundary = i;
      cutAround(node.vms(), () -> node.onBoundary(boundary));
    }
    passed = Math.max(passed, now);
  }

  /**
   * Starts the protection of {@code vms}, guests running on this host: their boot checkpoints. With traffic, every
   * guest is paused before its NIC joins the relay (the bridge's ports isolated), so each frame it sent before went
   * over the plain bridge, unprotected, and each frame after the pause is a message of the protocol, sent after its
   * boot checkpoint (of the paused instant). Joining first would catch the frames a guest sends until its pause in
   * the relay, where, sent before its protection started, they can only be dropped.
   */
  void boot(List<Integer> vms) {
    for (int vm : vms) guests.started(vm);
    if (traffic == null) {
      for (int vm : vms) node.start(vm);
      return;
    }
    List<Integer> cut = new ArrayList<>();
    for (int vm : vms) if (guests.readyForCut(vm) && guests.pauseForCut(vm)) cut.add(vm);
    try {
      for (int vm : vms) traffic.here(vm, vmUuid(vm)); // their NICs join the group's switch
      for (int vm : vms) node.start(vm);
    } finally {
      for (int vm : cut) guests.resumeUncheckpointed(vm);
    }
    for (int vm : vms) traffic.booted(vm);
  }

  /**
   * Runs {@code nodeCall}, which may move the indices of {@code vms}, with those of their guests that run here on
   * the relay paused and every frame they sent taken first (see the class comment). A guest whose checkpoint did
   * not follow runs again after the call.
   */
  void cutAround(Collection<Integer> vms, Runnable nodeCall) {
    if (traffic == null) {
      nodeCall.run();
      return;
    }
    // Every guest's last snapshot waited for first, then the pauses: no guest waits paused for another's.
    List<Integer> ready = new ArrayList<>();
    for (int vm : vms) {
      if (guests.running(vm) && traffic.attached(vm) && guests.readyForCut(vm)) ready.add(vm);
    }
    // What was written into each NIC reaches its guest while all still run, and again right before its own pause: a
    // guest cut before it hands on what it sent, which may go into this one's NIC.
    for (int vm : ready) traffic.awaitTakenEarly(vm);
    List<Integer> cut = new ArrayList<>();
    for (int vm : ready) {
      traffic.awaitTaken(vm);
      if (!guests.pauseForCut(vm)) continue;
      cut.add(vm);
      try {
        traffic.cut(vm);
      } catch (IOException e) {
        LOG.warn("vmqsc: frames of VM {} of group {} not all taken before its cut: {}", vm, deploy.group(),
            e.getMessage());
      }
    }
    try {
      nodeCall.run();
    } finally {
      for (int vm : cut) guests.resumeUncheckpointed(vm);
    }
  }

  /** The group stops here: its traffic's sockets close. */
  void close() {
    if (traffic != null) traffic.close();
  }

  /** Why the group stands still here: a recovery holds it, or this host's lease ran out. */
  enum Hold { RECOVERY, LEASE }

  /**
   * The group stands still for {@code why}: no boundary passes, its guests here are paused (with its traffic here,
   * every frame they sent taken first, and frames that arrive for them wait), until every reason is gone
   * ({@link #release}).
   */
  void hold(Hold why) {
    boolean first = holds.isEmpty();
    holds.add(why);
    if (!first) return;
    if (traffic != null) traffic.hold();
    for (int vm : node.vms()) {
      if (!guests.running(vm) || !guests.hold(vm) || traffic == null || !traffic.attached(vm)) continue;
      try {
        traffic.cut(vm);
      } catch (IOException e) {
        LOG.warn("vmqsc: frames of VM {} of group {} not all taken as it stopped: {}", vm, deploy.group(),
            e.getMessage());
      }
    }
  }

  /** {@code why} is gone; with no other reason left the guests run again, then the frames that waited go in. */
  void release(Hold why) {
    if (!holds.remove(why) || !holds.isEmpty()) return;
    guests.releaseHeld();
    if (traffic != null) traffic.release();
  }

  boolean held(Hold why) {
    return holds.contains(why);
  }

  void freeze() {
    hold(Hold.RECOVERY);
  }

  void thaw() {
    release(Hold.RECOVERY);
  }

  /** What the node reported since the last call, in the agents' wire format. */
  List<Report> drainReports() {
    List<Report> out = new ArrayList<>();
    for (NodeReport r : outbox) {
      if (r instanceof NodeReport.Boundary b) {
        out.add(new Report(b.record(), b.stable(), b.location(), b.sizeBytes(), b.contentDigest(), null));
      } else if (r instanceof NodeReport.InTransit t) {
        out.add(new Report(null, true, t.location(), 0, null, t.entry()));
      }
    }
    outbox.clear();
    return out;
  }

  /** Whether the VM whose uuid is {@code vmUuid} runs on this host now. */
  boolean runsHere(String vmUuid) {
    for (Member m : deploy.members()) if (m.vmUuid().equals(vmUuid)) return guests.running(m.number());
    return false;
  }

  private String vmUuid(int vm) {
    for (Member m : deploy.members()) if (m.number() == vm) return m.vmUuid();
    throw new IllegalArgumentException("group " + deploy.group() + " has no VM " + vm);
  }
}
