package org.vmqsc.protocol.recovery;

import java.util.List;
import org.vmqsc.protocol.CarriedReceipt;
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

  /**
   * Whether every surviving host practises causal logging (its guests are piecewise deterministic): only then can
   * a failed VM be rebuilt past its last stable state.
   */
  default boolean carryReceipts() {
    return false;
  }

  /** The receipts of {@code vm} that surviving hosts hold (causal logging), in rsn order, one per rsn. */
  default List<CarriedReceipt> carriedReceipts(int vm) {
    return List.of();
  }
}
