package org.vmqsc.plugin.host;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.vmqsc.agent.log.MessageLog;
import org.vmqsc.agent.log.StableMessageStore;
import org.vmqsc.agent.node.HostClock;
import org.vmqsc.agent.node.HostNode;
import org.vmqsc.agent.node.ManagerLink;
import org.vmqsc.agent.node.NodeReport;
import org.vmqsc.agent.wire.WireMessages.Deploy;
import org.vmqsc.agent.wire.WireMessages.Member;
import org.vmqsc.agent.wire.WireMessages.Report;

/**
 * One protection group on one host: agent-ext's {@link HostNode} with this host's ports. Its clock counts base
 * boundaries from the group's start on the host's own clock; a checkpoint tick passes the boundaries reached since
 * the previous one (the checkpoints due start on the host's executor) and hands back what the node reported
 * meanwhile.
 */
final class GroupNode implements HostClock, ManagerLink {

  private final Deploy deploy;
  private final Clock clock;
  private final HostNode node;
  private final DriverGuests guests;
  private final OutboundRelay relay = new OutboundRelay();
  private final List<NodeReport> outbox = new ArrayList<>();
  /** The last base boundary the node passed. */
  private long passed;
  /** A recovery holds the group still: no boundary is passed until it thaws. */
  private boolean frozen;

  GroupNode(String hostUuid, Deploy deploy, CheckpointExecutor checkpoints, StableMessageStore logs, Clock clock) {
    this.deploy = deploy;
    this.clock = clock;
    this.guests = new DriverGuests(checkpoints, deploy.group(), this::vmUuid);
    StableLogWriter writer = new StableLogWriter(deploy.group(), logs);
    this.node = new HostNode(hostUuid, deploy.group(), deploy.config(), new MessageLog(logs), relay, guests, writer,
        this, this);
    guests.attach(node);
    writer.attach(node);
    this.passed = index(); // boundaries before this host got the group are not its to pass
  }

  HostNode node() {
    return node;
  }

  DriverGuests guests() {
    return guests;
  }

  OutboundRelay relay() {
    return relay;
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
    if (frozen) return;
    long now = index();
    for (long i = passed + 1; i <= now; i++) node.onBoundary(i);
    passed = Math.max(passed, now);
  }

  void freeze() {
    frozen = true;
  }

  void thaw() {
    frozen = false;
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

  private String vmUuid(int vm) {
    for (Member m : deploy.members()) if (m.number() == vm) return m.vmUuid();
    throw new IllegalArgumentException("group " + deploy.group() + " has no VM " + vm);
  }
}
