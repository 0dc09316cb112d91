package org.vmqsc.evaluation;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Everything every protocol is run over, identically: the messages (in send order), the placement of VMs on hosts,
 * each host's clock drift, the failures to recover from, the base period and the VM_QSC classes.
 */
public record Scenario(String name, List<MessageEvent> messages, Placement placement, double[] hostDrift,
                       List<Failure> failures, double basePeriod, double duration, VmClasses classes) {

  public Scenario {
    if (basePeriod <= 0) throw new IllegalArgumentException("base period must be > 0");
    if (classes.vms() != placement.vms()) {
      throw new IllegalArgumentException(classes.vms() + " VM classes for " + placement.vms() + " VMs");
    }
    for (int i = 0; i < messages.size(); i++) {
      MessageEvent m = messages.get(i);
      if (m.id() != i) throw new IllegalArgumentException("message ids must be 0..n-1 in send order");
      if (i > 0 && m.sendTime() < messages.get(i - 1).sendTime()) throw new IllegalArgumentException("messages not in send order");
      if (m.src() >= placement.vms() || m.dst() >= placement.vms() || m.src() < 0 || m.dst() < 0) {
        throw new IllegalArgumentException("message " + i + " names a VM outside 0.." + (placement.vms() - 1));
      }
    }
    messages = List.copyOf(messages);
    failures = List.copyOf(failures);
  }

  public int vms() { return placement.vms(); }

  /** Real time at which boundary {@code index} fires on a host whose clock runs at (1 + drift). */
  public double boundaryTime(int host, long index) {
    return index * basePeriod / (1 + hostDrift[host]);
  }

  public Scenario withClasses(VmClasses c) {
    return new Scenario(name, messages, placement, hostDrift, failures, basePeriod, duration, c);
  }

  public Scenario withFailures(List<Failure> f) {
    return new Scenario(name, messages, placement, hostDrift, f, basePeriod, duration, classes);
  }

  /**
   * Turns raw (send time, src, dst, bytes) tuples into messages with arrival times from the time model,
   * numbered in send order (ties keep the input order).
   */
  public static List<MessageEvent> timed(List<double[]> raw, Placement placement, TimeModel time) {
    List<double[]> sorted = new ArrayList<>(raw);
    sorted.sort(Comparator.comparingDouble(r -> r[0]));
    List<MessageEvent> out = new ArrayList<>(sorted.size());
    java.util.Map<Long, Double> lastArrival = new java.util.HashMap<>();
    for (double[] r : sorted) {
      int src = (int) r[1], dst = (int) r[2];
      long bytes = (long) r[3];
      if (src < 0 || dst < 0 || src >= placement.vms() || dst >= placement.vms()) {
        throw new IllegalArgumentException("a message names VM " + Math.max(src, dst) + " outside 0.." + (placement.vms() - 1));
      }
      boolean sameHost = placement.hostOf(src) == placement.hostOf(dst);
      // Channels are FIFO (the relays forward in order): a message never overtakes an earlier one on its channel,
      // and it always arrives strictly after it left.
      long channel = ((long) src << 32) | dst;
      double arrival = Math.max(r[0] + time.transferSeconds(bytes, sameHost), lastArrival.getOrDefault(channel, 0.0));
      if (arrival <= r[0]) arrival = Math.nextUp(r[0]);
      lastArrival.put(channel, arrival);
      out.add(new MessageEvent(out.size(), r[0], arrival, src, dst, bytes));
    }
    return out;
  }
}
