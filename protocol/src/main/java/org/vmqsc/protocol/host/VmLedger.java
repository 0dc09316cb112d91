package org.vmqsc.protocol.host;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.vmqsc.protocol.BoundaryKind;
import org.vmqsc.protocol.BoundaryRecord;
import org.vmqsc.protocol.LogEntry;

/** What a host knows about one of its VMs: index, counters, checkpoints and the volatile receive log. */
final class VmLedger {
  final int vm;
  int incarnation;
  /** The VM's index (CSN): the last base boundary it has passed, by its host's clock or forced by a message. */
  long index;
  final long[] sentTo;
  final long[] receivedFrom;
  long received;
  /** The guest's latest position the relay has seen (a send or a delivery). */
  long lastPosition;
  /** Sends at or before this position are replays of sends already made; the relay drops them. */
  long suppressSendsUpTo = -1;
  /** Latest checkpoint taken, and latest one written on the host (the one a VM failure restores). */
  BoundaryRecord latestTaken;
  BoundaryRecord latestStaged;
  /** Every message received since the older of (the line, the latest staged checkpoint), in rsn order. */
  final Deque<LogEntry> log = new ArrayDeque<>();
  /** Where the next log segment starts: the rsn after the previous boundary. */
  long segmentStartRsn = 1;
  /** It came by live migration: frames displaced by a migration may reach it out of channel order. */
  boolean migratedHere;

  VmLedger(int vm, int groupSize) {
    this.vm = vm;
    this.sentTo = new long[groupSize];
    this.receivedFrom = new long[groupSize];
  }

  BoundaryRecord record(long index, BoundaryKind kind, boolean forced, long position) {
    return new BoundaryRecord(vm, index, incarnation, kind, forced, position, received, sentTo, receivedFrom);
  }

  /** Log entries received since the last boundary: what a log segment holds. */
  List<LogEntry> entriesSince(long rsn) {
    List<LogEntry> out = new ArrayList<>();
    for (LogEntry e : log) if (e.rsn() >= rsn) out.add(e);
    return out;
  }
}
