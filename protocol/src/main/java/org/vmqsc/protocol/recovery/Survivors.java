package org.vmqsc.protocol.recovery;

import java.util.List;
import java.util.Set;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.host.SenderCopy;

/** What the surviving hosts can tell the planner: their VMs' counters and the volatile logs they still hold. */
public interface Survivors {

  /** The VMs still running (on hosts that are up, and not failed themselves). */
  Set<Integer> vms();

  /** A surviving VM's current per-source receive counters. */
  long[] receivedFrom(int vm);

  /**
   * A VM's volatile receive log, in rsn order, if its host is up (the VM itself may have failed: a real guest's
   * failure is recovered like a host failure, but its host's log still serves the replays); else empty.
   */
  List<LogEntry> receiveLog(int vm);

  /** The copies surviving hosts keep of cross-host messages to {@code vm}. */
  List<SenderCopy> copiesTo(int vm);
}
