package org.vmqsc.agent.net;

import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where each VM of one group runs, as the agent last heard from the manager: VM → the tunnel address of its host.
 * Read on the node's thread, updated from the agent's manager link; hence a concurrent map.
 */
public final class Placement {

  private final Map<Integer, InetSocketAddress> hosts = new ConcurrentHashMap<>();

  public void place(int vm, InetSocketAddress host) {
    hosts.put(vm, host);
  }

  public void remove(int vm) {
    hosts.remove(vm);
  }

  /** The host running {@code vm}, or null when the agent does not know it. */
  public InetSocketAddress hostOf(int vm) {
    return hosts.get(vm);
  }
}
