package org.vmqsc.server.service.advice;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Collections;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import org.vmqsc.server.service.ArtifactState;
import org.vmqsc.server.service.Views.CheckpointView;
import org.vmqsc.server.service.Views.LogSegmentView;

/**
 * One VM's traffic as its recorded boundaries tell it: the messages it received between its first and last
 * recorded boundary, over how many base periods, what its incremental checkpoints wrote, and what its log segments
 * logged (the bytes of the messages an MI VM received, with how many they were).
 *
 * @param periods            base periods between the VM's first and last recorded boundary
 * @param messagesReceived   messages the VM received over those periods
 * @param checkpointBytes    mean stored bytes of its incremental checkpoints (a VM's first checkpoint on a host is a
 *                           full pass, its whole image; later ones there store what changed); of its full passes
 *                           when it has no other; null with none
 * @param loggedBytes        bytes its log segments logged
 * @param loggedMessages     messages those segments hold
 * @param receivedByBoundary for each recorded boundary n whose previous one (n - 1) is recorded too, the messages
 *                           the VM received in the base period that ends at n, in boundary order
 */
public record VmTraffic(String vmUuid, long periods, long messagesReceived, Long checkpointBytes, long loggedBytes,
                        long loggedMessages, SortedMap<Long, Long> receivedByBoundary) {

  private record Boundary(long index, long received, boolean checkpoint, long sizeBytes, String hostUuid) {}

  /** Each VM's traffic, in order of first appearance, from its checkpoints and log segments (discarded ones left out). */
  public static Map<String, VmTraffic> of(List<CheckpointView> checkpoints, List<LogSegmentView> segments) {
    Map<String, TreeMap<Long, Boundary>> byVm = new LinkedHashMap<>();
    // A rolled-back VM's later execution may record an index again: the later incarnation's record counts.
    checkpoints.stream().filter(c -> c.state() != ArtifactState.DISCARDED)
        .sorted(Comparator.comparingInt(CheckpointView::incarnation))
        .forEach(c -> byVm.computeIfAbsent(c.vmUuid(), v -> new TreeMap<>())
            .put(c.index(), new Boundary(c.index(), c.received(), true, c.sizeBytes(), c.hostUuid())));
    segments.stream().filter(s -> s.state() != ArtifactState.DISCARDED)
        .sorted(Comparator.comparingInt(LogSegmentView::incarnation))
        .forEach(s -> byVm.computeIfAbsent(s.vmUuid(), v -> new TreeMap<>())
            .put(s.index(), new Boundary(s.index(), s.received(), false, s.sizeBytes(), null)));
    Map<String, VmTraffic> out = new LinkedHashMap<>();
    byVm.forEach((vm, boundaries) -> out.put(vm, of(vm, new ArrayList<>(boundaries.values()))));
    return out;
  }

  private static VmTraffic of(String vm, List<Boundary> boundaries) {
    Boundary first = boundaries.get(0), last = boundaries.get(boundaries.size() - 1);
    List<Long> full = new ArrayList<>(), incremental = new ArrayList<>();
    Set<String> hosts = new HashSet<>();
    for (Boundary b : boundaries) {
      if (!b.checkpoint()) continue;
      (hosts.add(String.valueOf(b.hostUuid())) ? full : incremental).add(b.sizeBytes());
    }
    List<Long> sizes = incremental.isEmpty() ? full : incremental;
    Long checkpointBytes = sizes.isEmpty() ? null
        : Math.round(sizes.stream().mapToLong(Long::longValue).average().orElseThrow());
    long loggedBytes = 0, loggedMessages = 0;
    for (int i = 1; i < boundaries.size(); i++) {
      Boundary b = boundaries.get(i);
      if (b.checkpoint()) continue;
      loggedBytes += b.sizeBytes();
      loggedMessages += Math.max(0, b.received() - boundaries.get(i - 1).received());
    }
    TreeMap<Long, Long> byBoundary = new TreeMap<>();
    for (int i = 1; i < boundaries.size(); i++) {
      Boundary b = boundaries.get(i), before = boundaries.get(i - 1);
      if (b.index() == before.index() + 1) byBoundary.put(b.index(), Math.max(0, b.received() - before.received()));
    }
    return new VmTraffic(vm, last.index() - first.index(), Math.max(0, last.received() - first.received()),
        checkpointBytes, loggedBytes, loggedMessages, Collections.unmodifiableSortedMap(byBoundary));
  }

  /** Messages received per base period; 0 over no period. */
  public double messagesPerPeriod() {
    return periods == 0 ? 0 : (double) messagesReceived / periods;
  }
}
