package org.vmqsc.server.cluster;

import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** The agents that registered with this manager: where each takes orders and where its tunnel is. */
final class AgentRegistry {

  /** One agent as it last registered; {@code realGuests}: its VMs are real machines, not simulated guests. */
  record Agent(String hostUuid, String name, String url, String tunnel, String bootId, boolean realGuests) {}

  private final Map<String, Agent> agents = new TreeMap<>();

  /** Records the registration; returns the agent it replaces, if any. */
  synchronized Optional<Agent> register(Agent agent) {
    return Optional.ofNullable(agents.put(agent.hostUuid(), agent));
  }

  synchronized Optional<Agent> find(String hostUuid) {
    return Optional.ofNullable(agents.get(hostUuid));
  }

  synchronized Map<String, Agent> all() {
    return Map.copyOf(agents);
  }

  /** The name listHosts shows: the agent's, or the uuid for a host this manager only expects. */
  synchronized String nameOf(String hostUuid) {
    Agent a = agents.get(hostUuid);
    return a == null ? hostUuid : a.name();
  }
}
