package org.vmqsc.server.cluster;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.vmqsc.agent.node.MigrationRefusedException;
import org.vmqsc.agent.node.VmMigration;
import org.vmqsc.agent.wire.Wire;
import org.vmqsc.agent.wire.WireMessages.EmigrateOrder;
import org.vmqsc.agent.wire.WireMessages.Emigrated;
import org.vmqsc.agent.wire.WireMessages.FenceOrder;
import org.vmqsc.agent.wire.WireMessages.GuestState;
import org.vmqsc.agent.wire.WireMessages.ImmigrateOrder;
import org.vmqsc.agent.wire.WireMessages.Deploy;
import org.vmqsc.agent.wire.WireMessages.GroupRef;
import org.vmqsc.agent.wire.WireMessages.GuestOrder;
import org.vmqsc.agent.wire.WireMessages.LineOrder;
import org.vmqsc.agent.wire.WireMessages.ReconcileOrder;
import org.vmqsc.agent.wire.WireMessages.Payload;
import org.vmqsc.agent.wire.WireMessages.PayloadsRequest;
import org.vmqsc.agent.wire.WireMessages.PlacementOrder;
import org.vmqsc.agent.wire.WireMessages.Refusal;
import org.vmqsc.agent.wire.WireMessages.ReplayOrder;
import org.vmqsc.agent.wire.WireMessages.RestoreOrder;
import org.vmqsc.agent.wire.WireMessages.RollbackOrder;
import org.vmqsc.agent.wire.WireMessages.StableLocation;
import org.vmqsc.agent.wire.WireMessages.Status;
import org.vmqsc.protocol.Message;
import org.vmqsc.protocol.recovery.HostSnapshot;
import org.vmqsc.protocol.recovery.Replay;
import org.vmqsc.protocol.recovery.VmRestore;
import org.vmqsc.server.failure.FailureDetector;
import org.vmqsc.server.recovery.HostChannel;
import org.vmqsc.server.recovery.HostUnreachableException;

/**
 * The standalone manager's orders to its agents: JSON over HTTP to each agent's order endpoint, with the
 * cluster's token. A host is live when it registered and the failure detector has not declared it failed; one
 * that does not answer (connection refused, timeout, 5xx) is unreachable. A restore on a host that does not run
 * the group yet deploys the group there first.
 */
final class HttpHostChannel implements HostChannel {

  private static final Duration ORDER_TIMEOUT = Duration.ofSeconds(30);

  private final AgentRegistry agents;
  private final FailureDetector detector;
  private final String token;
  /** The group's deployment for a host (without VMs to boot): what a restore target needs first. */
  private final Function<String, Deploy> deploymentOf;
  /**
   * The guests' running state between emigrate and immigrate, by group/VM: what a hypervisor would stream itself
   * travels here beside the protocol's {@link VmMigration} (kept, so a migration sent back to its source finds it).
   */
  private final Map<String, GuestState> guestsInFlight = new java.util.concurrent.ConcurrentHashMap<>();
  /** host/boot id/group already deployed by a recovery, so each rollback notice does not deploy again. */
  private final java.util.Set<String> deployed = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

  HttpHostChannel(AgentRegistry agents, FailureDetector detector, String token, Function<String, Deploy> deploymentOf) {
    this.agents = agents;
    this.detector = detector;
    this.token = token;
    this.deploymentOf = deploymentOf;
  }

  @Override public Collection<String> liveHosts() {
    List<String> live = new ArrayList<>();
    for (String host : agents.all().keySet()) if (!detector.isFailed(host)) live.add(host);
    return live;
  }

  @Override public HostSnapshot snapshot(String host, String group) {
    return order(host, "snapshot", new GroupRef(group), HostSnapshot.class);
  }

  @Override public Map<Message, byte[]> payloads(String host, String group, List<Message> messages) {
    Payload[] answer = order(host, "payloads", new PayloadsRequest(group, messages), Payload[].class);
    Map<Message, byte[]> out = new HashMap<>();
    for (Payload p : answer) out.put(p.message(), p.bytes());
    return out;
  }

  @Override public void restore(String host, String group, VmRestore restore, String checkpointLocation,
                                List<String> segmentLocations) {
    deploy(host, deploymentOf.apply(group));
    order(host, "restore", new RestoreOrder(group, restore, checkpointLocation, segmentLocations), Object.class);
  }

  @Override public VmMigration emigrate(String host, String group, int vm, String target) {
    Emigrated out = order(host, "emigrate", new EmigrateOrder(group, vm, target), Emigrated.class);
    guestsInFlight.put(group + "/" + vm, out.guest());
    return out.migration();
  }

  /** A restore-like order: the target gets the group first if it does not run it yet. */
  @Override public void immigrate(String host, String group, VmMigration migration) {
    GuestState guest = guestsInFlight.get(group + "/" + migration.transfer().vm());
    if (guest == null) throw new IllegalStateException("no guest state was handed off for " + migration.transfer().vm());
    deploy(host, deploymentOf.apply(group));
    order(host, "immigrate", new ImmigrateOrder(group, migration, guest), Object.class);
  }

  @Override public void freeze(String host, String group) {
    order(host, "freeze", new GroupRef(group), Object.class);
  }

  @Override public void thaw(String host, String group) {
    order(host, "thaw", new GroupRef(group), Object.class);
  }

  @Override public void evict(String host, String group, int vm) {
    order(host, "evict", new GuestOrder(group, vm), Object.class);
  }

  /**
   * Every live host must know a rollback, the ones that get a VM of the group only later in this recovery too (a
   * restarted agent): a host without the group would drop the notice and later take frames of the discarded
   * execution still on their way for current ones. So the group is deployed there first.
   */
  @Override public void rollback(String host, String group, int vm, int incarnation, long[] sentToAtLine) {
    ensureDeployed(host, group);
    order(host, "rollback", new RollbackOrder(group, vm, incarnation, sentToAtLine), Object.class);
  }

  @Override public void replay(String host, String group, int vm, List<Replay> replays, Map<Message, byte[]> payloads,
                               Map<Message, String> stableLocations) {
    List<Payload> bytes = new ArrayList<>();
    payloads.forEach((m, b) -> bytes.add(new Payload(m, b)));
    List<StableLocation> locations = new ArrayList<>();
    stableLocations.forEach((m, l) -> locations.add(new StableLocation(m, l)));
    order(host, "replay", new ReplayOrder(group, vm, replays, bytes, locations), Object.class);
  }

  @Override public void drop(String host, String group) {
    order(host, "drop", new GroupRef(group), Object.class);
  }

  @Override public void reconcile(String host, Collection<String> stored, java.time.Duration grace) {
    order(host, "reconcile", new ReconcileOrder(List.copyOf(stored), grace.toMillis()), Object.class);
  }

  @Override public void line(String host, String group, long index, List<String> collectable) {
    order(host, "line", new LineOrder(group, index, collectable), Object.class);
  }

  @Override public void placement(String host, String group, int vm, String newHost) {
    String tunnel = agents.find(newHost).map(AgentRegistry.Agent::tunnel)
        .orElseThrow(() -> new HostUnreachableException(newHost, "it never registered with this manager"));
    order(host, "placement", new PlacementOrder(group, vm, tunnel), Object.class);
  }

  /**
   * Cuts the host off before its VMs run elsewhere. The detector declares it failed (a new epoch: no heartbeat of
   * it renews anything from now on), then this waits until its current lease has ended at the manager: the agent
   * stops its VMs before that instant on its own ({@code LeaseKeeper}), whether or not it hears anything. So a host
   * that is merely slow to answer a snapshot costs a wait of at most one lease, never a VM running twice. A host
   * that still answers is also told to stop at once.
   */
  @Override public void fence(String host) {
    detector.declareFailed(host);
    long epoch = detector.epoch(host);
    detector.leaseEnd(host).ifPresent(end -> {
      long waitMs = Duration.between(java.time.Instant.now(), end).toMillis() + 20;
      if (waitMs <= 0) return;
      try {
        Thread.sleep(waitMs);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new HostUnreachableException(host, "interrupted while waiting for its lease to end");
      }
    });
    try {
      order(host, "fence", new FenceOrder(epoch), Object.class, Duration.ofSeconds(1));
    } catch (HostUnreachableException | IllegalStateException e) {
      // Its lease has ended: it stopped its VMs on its own.
    }
  }

  /** Deploys the group on the host once per agent process (a restarted agent has a new boot id). */
  private void ensureDeployed(String host, String group) {
    String bootId = agents.find(host).map(AgentRegistry.Agent::bootId).orElse("");
    if (deployed.add(host + "/" + bootId + "/" + group)) deploy(host, deploymentOf.apply(group));
  }

  void deploy(String host, Deploy deploy) {
    order(host, "deploy", deploy, Object.class);
  }

  Status status(String host) {
    return order(host, "status", new GroupRef(""), Status.class, Duration.ofSeconds(2));
  }

  private static void pause(long millis, String host, String name) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new HostUnreachableException(host, name + ": interrupted");
    }
  }

  private <T> T order(String host, String name, Object body, Class<T> answer) {
    return order(host, name, body, answer, ORDER_TIMEOUT);
  }

  private <T> T order(String host, String name, Object body, Class<T> answer, Duration timeout) {
    AgentRegistry.Agent agent = agents.find(host)
        .orElseThrow(() -> new HostUnreachableException(host, "it never registered with this manager"));
    HttpRequest request = HttpRequest.newBuilder(URI.create(agent.url()).resolve("v1/" + name))
        .timeout(timeout)
        .header("Content-Type", "application/json")
        .header(Wire.TOKEN_HEADER, token)
        .POST(HttpRequest.BodyPublishers.ofString(Wire.GSON.toJson(body)))
        .build();
    HttpResponse<String> response = null;
    // Every order is idempotent on the host, so one lost on the way (a kept-alive connection the agent had
    // closed, a reset) is sent again before the host counts as unreachable; a timeout is not retried.
    for (int attempt = 1; response == null; attempt++) {
      try {
        response = http.send(request, HttpResponse.BodyHandlers.ofString());
      } catch (java.net.http.HttpTimeoutException e) {
        throw new HostUnreachableException(host, name + ": " + e);
      } catch (IOException e) {
        if (attempt >= 3) throw new HostUnreachableException(host, name + ": " + e);
        pause(50L * attempt, host, name);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new HostUnreachableException(host, name + ": interrupted");
      }
    }
    if (response.statusCode() != 200) {
      String why = response.body();
      try {
        why = Wire.GSON.fromJson(response.body(), Refusal.class).error();
      } catch (RuntimeException ignored) {
        // not our JSON
      }
      if (response.statusCode() >= 500) throw new HostUnreachableException(host, name + ": " + why);
      if (response.statusCode() == 423) throw new MigrationRefusedException(why);
      throw new IllegalStateException("agent " + agent.name() + " refused " + name + ": " + why);
    }
    return Wire.GSON.fromJson(response.body(), answer);
  }
}
