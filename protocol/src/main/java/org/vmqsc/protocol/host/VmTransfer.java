package org.vmqsc.protocol.host;

import java.util.List;
import org.vmqsc.protocol.BoundaryRecord;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.Message;

/**
 * One VM's whole protocol state as its old host hands it to the new one in a live migration (see
 * {@link HostRules#emigrate}): plain data, so it can cross the manager between the two hosts.
 *
 * @param index              the VM's index (CSN)
 * @param received           its receive sequence number (messages received in all)
 * @param lastPosition       the guest's latest position the relay saw
 * @param suppressSendsUpTo  sends at or before this position are replays (a VM failure's rebuild)
 * @param latestTaken        its latest checkpoint; a migration waits until it is stable
 * @param latestStaged       the checkpoint a VM failure restores (stable too, so the new host reaches it)
 * @param segmentStartRsn    where its next log segment starts
 * @param receiveLog         its volatile receive log, in rsn order
 * @param copies             the sender copies of cross-host messages it sent, as the new host must keep them:
 *                           those the old host kept, plus copies of what it sent to VMs that stay on the old host
 *                           (those were same-host messages, which have no copy)
 * @param pendingAcks        deliveries to it not yet acknowledged to their senders' hosts
 */
public record VmTransfer(int vm, int incarnation, long index, long[] sentTo, long[] receivedFrom, long received,
                         long lastPosition, long suppressSendsUpTo, BoundaryRecord latestTaken,
                         BoundaryRecord latestStaged, long segmentStartRsn, List<LogEntry> receiveLog,
                         List<SenderCopy> copies, List<LogEntry> pendingAcks) {

  public VmTransfer {
    if (vm < 0) throw new IllegalArgumentException("VM numbers start at 0, got " + vm);
    if (sentTo.length != receivedFrom.length) {
      throw new IllegalArgumentException("sent and received counters of VM " + vm + " differ in length: "
          + sentTo.length + " and " + receivedFrom.length);
    }
    if (latestTaken == null || latestStaged == null) {
      throw new IllegalArgumentException("VM " + vm + " has no checkpoint to migrate with");
    }
    for (LogEntry e : receiveLog) requireTo(vm, e.message(), "receive log");
    for (LogEntry e : pendingAcks) requireTo(vm, e.message(), "pending acknowledgements");
    for (SenderCopy c : copies) {
      if (c.message().from() != vm) {
        throw new IllegalArgumentException("VM " + vm + "'s transfer holds a copy of " + c.message()
            + ", which it did not send");
      }
    }
    sentTo = sentTo.clone();
    receivedFrom = receivedFrom.clone();
    receiveLog = List.copyOf(receiveLog);
    copies = List.copyOf(copies);
    pendingAcks = List.copyOf(pendingAcks);
  }

  private static void requireTo(int vm, Message m, String what) {
    if (m.to() != vm) throw new IllegalArgumentException("VM " + vm + "'s " + what + " holds " + m + ", sent to another VM");
  }

  @Override public long[] sentTo() {
    return sentTo.clone();
  }

  @Override public long[] receivedFrom() {
    return receivedFrom.clone();
  }

  /** Every message whose payload the new host needs: the log and the copies. */
  public List<Message> messages() {
    List<Message> out = new java.util.ArrayList<>();
    for (LogEntry e : receiveLog) out.add(e.message());
    for (SenderCopy c : copies) out.add(c.message());
    return out;
  }
}
