package org.vmqsc.protocol;

/**
 * A receipt made on one host, carried by a cross-host message to another host (causal logging): the entry says
 * where in the receiver's execution the message was delivered. Only the receipt travels, never the message's
 * bytes: a copy of those is kept off the receiver's host (the sender's, when the sender ran elsewhere), or the
 * sender ran on the same host and its own re-execution makes the message again when both are rebuilt together.
 * If that host fails, the receipts its messages carried away let a recovery rebuild its VMs past their last
 * stable state, up to what any other host's VM depends on.
 */
public record CarriedReceipt(LogEntry entry) {

  public CarriedReceipt {
    if (entry == null) throw new IllegalArgumentException("a carried receipt needs its log entry");
  }

  public Message message() {
    return entry.message();
  }

  /**
   * Whether this receipt replaces {@code known}, held for the same VM and rsn: one of a later incarnation does
   * (the earlier one's execution was discarded).
   */
  public boolean supersedes(CarriedReceipt known) {
    return known == null || known.entry.incarnation() < entry.incarnation();
  }
}
