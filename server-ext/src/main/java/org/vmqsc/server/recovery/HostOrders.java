package org.vmqsc.server.recovery;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * One step's orders to hosts. Without a pool they run in the order given, in the caller's thread (the simulator's
 * world is single-threaded and its runs must repeat exactly); with a pool, each host's orders run in their order
 * and the hosts at once, since restoring eight VMs one after another on a cluster is most of a recovery's time.
 * Either way {@link #run} returns when all are done, and throws the first failure.
 */
final class HostOrders {

  private final ExecutorService pool;
  private final List<Map.Entry<String, Runnable>> orders = new ArrayList<>();

  HostOrders(ExecutorService pool) {
    this.pool = pool;
  }

  HostOrders add(String host, Runnable order) {
    orders.add(Map.entry(host, order));
    return this;
  }

  void run() {
    if (pool == null) {
      orders.forEach(o -> o.getValue().run());
      return;
    }
    Map<String, List<Runnable>> byHost = new LinkedHashMap<>();
    for (Map.Entry<String, Runnable> o : orders) byHost.computeIfAbsent(o.getKey(), h -> new ArrayList<>()).add(o.getValue());
    List<Future<?>> running = new ArrayList<>();
    for (List<Runnable> ofHost : byHost.values()) running.add(pool.submit(() -> ofHost.forEach(Runnable::run)));
    RuntimeException first = null;
    for (Future<?> f : running) {
      try {
        f.get();
      } catch (ExecutionException e) {
        if (first == null) {
          first = e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        if (first == null) first = new IllegalStateException("interrupted while hosts carried out orders", e);
      }
    }
    if (first != null) throw first;
  }
}
