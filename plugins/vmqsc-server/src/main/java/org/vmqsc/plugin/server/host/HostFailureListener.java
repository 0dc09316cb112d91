package org.vmqsc.plugin.server.host;

import com.cloud.agent.Listener;
import com.cloud.agent.api.AgentControlAnswer;
import com.cloud.agent.api.AgentControlCommand;
import com.cloud.agent.api.Answer;
import com.cloud.agent.api.Command;
import com.cloud.agent.api.StartupCommand;
import com.cloud.host.Host;
import com.cloud.host.Status;
import com.cloud.hypervisor.Hypervisor.HypervisorType;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.LongFunction;
import java.util.function.LongPredicate;
import java.util.Optional;
import java.util.Set;

/**
 * Learns from CloudStack's agent manager which KVM and Xen hosts are connected, and which are Down. A host is Down
 * only after CloudStack's investigators agreed (for KVM: its neighbours found its storage heartbeat stopped; for
 * Xen: its pool neighbours were asked about it), so this takes CloudStack's verdict rather than making its own; a
 * host that is only Disconnected or in Alert is left alone. A Down host is handed to {@code onHostDown} on another thread: the agent manager's must not wait for a
 * recovery.
 */
public final class HostFailureListener implements Listener {

  /** The hypervisors vmqsc protects VMs on: KVM through its agent, Xen through XAPI from the management server. */
  static final Set<HypervisorType> PROTECTED = Set.of(HypervisorType.KVM, HypervisorType.XenServer);

  private final KnownHosts hosts;
  private final Executor recoveries;
  private final Consumer<String> onHostDown;
  /** CloudStack's uuid of a host id, for a host that went Down before this server saw it connect. */
  private final LongFunction<String> uuidOf;
  /** vmqsc.enabled in a zone: where it is false, a Down host is left to CloudStack alone. */
  private final LongPredicate enabledInZone;

  public HostFailureListener(KnownHosts hosts, Executor recoveries, Consumer<String> onHostDown,
                             LongFunction<String> uuidOf, LongPredicate enabledInZone) {
    this.hosts = hosts;
    this.recoveries = recoveries;
    this.onHostDown = onHostDown;
    this.uuidOf = uuidOf;
    this.enabledInZone = enabledInZone;
  }

  @Override public void processConnect(Host host, StartupCommand cmd, boolean forRebalance) {
    if (PROTECTED.contains(host.getHypervisorType())) hosts.connected(host);
  }

  @Override public boolean processDisconnect(long agentId, Status state) {
    Optional<KnownHosts.KnownHost> known = hosts.disconnected(agentId);
    if (state != Status.Down) return true;
    if (known.isPresent() && !enabledInZone.test(known.get().zoneId())) return true;
    String uuid = known.map(KnownHosts.KnownHost::uuid).orElseGet(() -> uuidOf.apply(agentId));
    if (uuid != null) recoveries.execute(() -> onHostDown.accept(uuid));
    return true;
  }

  @Override public boolean processAnswers(long agentId, long seq, Answer[] answers) {
    return false;
  }

  @Override public boolean processCommands(long agentId, long seq, Command[] commands) {
    return false;
  }

  @Override public AgentControlAnswer processControlCommand(long agentId, AgentControlCommand cmd) {
    return null;
  }

  @Override public void processHostAdded(long hostId) {
  }

  @Override public void processHostAboutToBeRemoved(long hostId) {
  }

  @Override public void processHostRemoved(long hostId, long clusterId) {
  }

  @Override public boolean isRecurring() {
    return false;
  }

  @Override public int getTimeout() {
    return -1;
  }

  @Override public boolean processTimeout(long agentId, long seq) {
    return false;
  }
}
