package org.vmqsc.protocol;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.vmqsc.protocol.host.HostAction;
import org.vmqsc.protocol.host.HostRules;
import org.vmqsc.protocol.manager.LineKeeper;

/**
 * A hand-driven group for the rule tests: named hosts running {@link HostRules}, one {@link LineKeeper}, and
 * helpers that carry out the actions the way a host would (reports staged, then stable when the test says so).
 */
final class Cluster {
  final GroupConfig config;
  final LineKeeper keeper;
  final Map<Integer, HostRules> hostOf = new TreeMap<>();
  /** Every action returned, in order, for assertions. */
  final List<HostAction> actions = new ArrayList<>();
  final long[] position;

  Cluster(GroupConfig config, int[] placement, HostRules... hosts) {
    this.config = config;
    this.keeper = new LineKeeper(config);
    this.position = new long[config.size()];
    for (int vm = 0; vm < placement.length; vm++) {
      HostRules h = hosts[placement[vm]];
      hostOf.put(vm, h);
      BoundaryRecord c0 = h.start(vm).record();
      h.checkpointStaged(c0);
      keeper.record(c0);
      keeper.markStable(vm, 0, 0);
    }
    keeper.advance();
  }

  static Cluster of(List<VmClass> classes, int[] placement, int hosts) {
    GroupConfig config = new GroupConfig(1000, classes);
    HostRules[] h = new HostRules[hosts];
    for (int i = 0; i < hosts; i++) h[i] = new HostRules(config);
    return new Cluster(config, placement, h);
  }

  HostRules host(int vm) {
    return hostOf.get(vm);
  }

  List<HostAction> boundary(int vm, long index) {
    return record(host(vm).onBoundary(vm, index, position[vm]));
  }

  Message send(int from, int to) {
    position[from]++;
    return host(from).stamp(from, to, 100, 31L * from + to + position[from], position[from]).orElseThrow();
  }

  List<HostAction> deliver(Message m) {
    return record(host(m.to()).onArrival(m, position[m.to()]));
  }

  /** Every report so far becomes staged on its host and stable on the manager's side. */
  void flushAll() {
    for (HostAction a : actions) {
      if (a instanceof HostAction.TakeCheckpoint t) {
        host(t.record().vm()).checkpointStaged(t.record());
        keeper.record(t.record());
        keeper.markStable(t.record().vm(), t.record().index(), t.record().incarnation());
      } else if (a instanceof HostAction.WriteLogSegment w) {
        keeper.record(w.record());
        keeper.markStable(w.record().vm(), w.record().index(), w.record().incarnation());
      } else if (a instanceof HostAction.WriteInTransit w) {
        keeper.markInTransitLogged(w.entry().message());
      }
    }
  }

  /** Reports the checkpoints and segments so far to the manager, staged only. */
  void reportStaged() {
    for (HostAction a : actions) {
      if (a instanceof HostAction.TakeCheckpoint t) keeper.record(t.record());
      else if (a instanceof HostAction.WriteLogSegment w) keeper.record(w.record());
    }
  }

  private List<HostAction> record(List<HostAction> out) {
    actions.addAll(out);
    return out;
  }

  static <T extends HostAction> List<T> only(List<HostAction> actions, Class<T> type) {
    List<T> out = new ArrayList<>();
    for (HostAction a : actions) if (type.isInstance(a)) out.add(type.cast(a));
    return out;
  }
}
