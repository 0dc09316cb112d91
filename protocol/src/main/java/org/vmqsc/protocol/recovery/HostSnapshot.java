package org.vmqsc.protocol.recovery;

import java.util.List;
import java.util.Map;
import org.vmqsc.protocol.CarriedReceipt;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.host.SenderCopy;

/**
 * What one surviving host holds of a group at one moment, as data: the VMs it runs with their receive counters
 * and volatile receive logs, and its copies of the cross-host messages its VMs sent. A recovery plans on these
 * snapshots, never on a live host.
 *
 * @param running      the VMs whose guests run on the host
 * @param receivedFrom per VM the host has a record of (running or failed there), its per-source receive counters
 * @param receiveLogs  per such VM, its volatile receive log in rsn order
 * @param copies       the host's copies of cross-host messages, per receiver
 * @param carriesReceipts whether the host practises causal logging (its guests are piecewise deterministic)
 * @param carried      the receipts of VMs that do not run on the host which it holds (causal logging), per VM
 */
public record HostSnapshot(String host, List<Integer> running, Map<Integer, long[]> receivedFrom,
                           Map<Integer, List<LogEntry>> receiveLogs, Map<Integer, List<SenderCopy>> copies,
                           boolean carriesReceipts, Map<Integer, List<CarriedReceipt>> carried) {

  public HostSnapshot {
    running = List.copyOf(running);
    receivedFrom = Map.copyOf(receivedFrom);
    receiveLogs = Map.copyOf(receiveLogs);
    copies = Map.copyOf(copies);
    carried = carried == null ? Map.of() : Map.copyOf(carried);
  }

  /** A host that does not practise causal logging. */
  public HostSnapshot(String host, List<Integer> running, Map<Integer, long[]> receivedFrom,
                      Map<Integer, List<LogEntry>> receiveLogs, Map<Integer, List<SenderCopy>> copies) {
    this(host, running, receivedFrom, receiveLogs, copies, false, Map.of());
  }
}
