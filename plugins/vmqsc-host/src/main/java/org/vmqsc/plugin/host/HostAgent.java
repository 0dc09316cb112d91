package org.vmqsc.plugin.host;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.vmqsc.agent.CheckpointAgent;
import org.vmqsc.agent.flush.CheckpointState;
import org.vmqsc.agent.flush.LazyFlusher;
import org.vmqsc.agent.log.StableMessageStore;
import org.vmqsc.agent.node.HostNode;
import org.vmqsc.agent.node.VmMigration;
import org.vmqsc.agent.wire.WireMessages.Deploy;
import org.vmqsc.agent.wire.WireMessages.Emigrated;
import org.vmqsc.agent.wire.WireMessages.EmigrateOrder;
import org.vmqsc.agent.wire.WireMessages.GuestOrder;
import org.vmqsc.agent.wire.WireMessages.ImmigrateOrder;
import org.vmqsc.agent.wire.WireMessages.LineOrder;
import org.vmqsc.agent.wire.WireMessages.Member;
import org.vmqsc.agent.wire.WireMessages.Payload;
import org.vmqsc.agent.wire.WireMessages.PayloadsRequest;
import org.vmqsc.agent.wire.WireMessages.PlacementOrder;
import org.vmqsc.agent.wire.WireMessages.ReplayOrder;
import org.vmqsc.agent.wire.WireMessages.Reports;
import org.vmqsc.agent.wire.WireMessages.RestoreOrder;
import org.vmqsc.agent.wire.WireMessages.RollbackOrder;
import org.vmqsc.agent.wire.WireMessages.StableLocation;
import org.vmqsc.protocol.Message;
import org.vmqsc.protocol.recovery.HostSnapshot;

/**
 * One host's side of vmqsc in CloudStack, whichever hypervisor (in a KVM host's agent, or in the management server
 * for a Xen host): one {@link GroupNode} per protection group, and the manager's orders carried out on them. The
 * command wrappers call it; every call runs alone (a host node takes one event at a time), the flusher's
 * completions included.
 */
public final class HostAgent {

  private final CheckpointAgent checkpoints;
  private final StableMessageStore logs;
  private final Clock clock;
  private final Map<String, GroupNode> groups = new TreeMap<>();
  /** Groups a recovery holds still here, deployed here or not yet. */
  private final Set<String> frozen = new HashSet<>();
  /** The host's uuid in CloudStack, as the first deployment named it. */
  private String hostUuid;

  public HostAgent(CheckpointAgent checkpoints, LazyFlusher flusher, StableMessageStore logs, Clock clock) {
    this.checkpoints = checkpoints;
    this.logs = logs;
    this.clock = clock;
    if (flusher != null) {
      flusher.addListener((key, state) -> {
        if (state == CheckpointState.STABLE) stable(key);
      });
    }
  }

  private synchronized void stable(org.vmqsc.agent.store.CheckpointKey key) {
    for (GroupNode g : groups.values()) g.guests().flushed(key);
  }

  /** Runs the group here (once) and starts the VMs of {@code boot} that run on this host. */
  public synchronized void deploy(String host, Deploy d) {
    if (hostUuid == null) hostUuid = host;
    GroupNode g = groups.computeIfAbsent(d.group(), k -> {
      GroupNode fresh = new GroupNode(hostUuid, d, checkpoints, logs, clock);
      if (frozen.contains(k)) fresh.freeze();
      return fresh;
    });
    for (Member m : d.members()) {
      if (hostUuid.equals(m.hostUuid()) && d.boot().contains(m.number()) && !g.node().runs(m.number())) {
        g.guests().started(m.number());
        g.node().start(m.number());
      }
    }
  }

  /** The boundaries the host's clock reached, then what the node reported since the last tick. */
  public synchronized Reports tick(String group) {
    GroupNode g = groups.get(group);
    if (g == null) return new Reports(hostUuid, group, List.of());
    g.tick();
    return new Reports(hostUuid, group, g.drainReports());
  }

  public synchronized HostSnapshot snapshot(String group) {
    GroupNode g = groups.get(group);
    if (g == null) return new HostSnapshot(hostUuid, List.of(), Map.of(), Map.of(), Map.of());
    return g.node().snapshot();
  }

  public synchronized List<Payload> payloads(PayloadsRequest p) {
    List<Payload> out = new ArrayList<>();
    GroupNode g = groups.get(p.group());
    if (g != null) g.node().payloads(p.messages()).forEach((m, bytes) -> out.add(new Payload(m, bytes)));
    return out;
  }

  public synchronized void restore(RestoreOrder o) {
    node(o.group()).restoreToLine(o.restore(), o.checkpointLocation(), o.segmentLocations());
  }

  public synchronized void rollback(RollbackOrder o) {
    GroupNode g = groups.get(o.group());
    if (g != null) g.node().onRollback(o.vm(), o.incarnation(), o.sentToAtLine());
  }

  public synchronized void replay(ReplayOrder o) {
    Map<Message, byte[]> payloads = new java.util.HashMap<>();
    for (Payload p : o.payloads()) payloads.put(p.message(), p.bytes());
    Map<Message, String> locations = new java.util.HashMap<>();
    for (StableLocation s : o.stableLocations()) locations.put(s.message(), s.location());
    node(o.group()).replay(o.vm(), o.replays(), payloads, locations);
  }

  /** The line moved: the node collects its logs behind it. */
  public synchronized void line(LineOrder o) {
    GroupNode g = groups.get(o.group());
    if (g != null) g.node().onLine(o.index());
  }

  public synchronized void placement(PlacementOrder o) {
    GroupNode g = groups.get(o.group());
    if (g != null) g.node().onPlacement(o.vm());
  }

  /**
   * A recovery holds its group still on every host it orders, also where none of the group's VMs runs yet: a VM it
   * restores here later stands still too until the recovery ends.
   */
  public synchronized void freeze(String group) {
    frozen.add(group);
    GroupNode g = groups.get(group);
    if (g != null) g.freeze();
  }

  public synchronized void thaw(String group) {
    frozen.remove(group);
    GroupNode g = groups.get(group);
    if (g != null) g.thaw();
  }

  public synchronized void evict(GuestOrder o) {
    GroupNode g = groups.get(o.group());
    if (g != null) g.node().evict(o.vm());
  }

  /** Fenced: this host's protected VMs run elsewhere now; it forgets every group and rejoins empty. */
  public synchronized void fence() {
    for (GroupNode g : groups.values()) for (int vm : g.node().vms()) g.node().evict(vm);
    groups.clear();
    frozen.clear(); // a fenced host takes no part in the recoveries under way: none will thaw it
  }

  public synchronized Emigrated emigrate(EmigrateOrder o) {
    VmMigration m = node(o.group()).emigrate(o.vm(), o.target());
    return new Emigrated(m, null); // the hypervisor's live migration carries the guest itself
  }

  public synchronized void immigrate(ImmigrateOrder o) {
    node(o.group()).immigrate(o.migration());
  }

  /** The group's node on this host, for tests. */
  synchronized GroupNode group(String group) {
    return groups.get(group);
  }

  private HostNode node(String group) {
    GroupNode g = groups.get(group);
    if (g == null) throw new IllegalStateException("group " + group + " is not deployed on host " + hostUuid);
    return g.node();
  }
}
