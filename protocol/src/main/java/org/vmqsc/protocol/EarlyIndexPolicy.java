package org.vmqsc.protocol;

/**
 * What an MI VM does when a message with a higher CSN reaches it at an index it is not due to checkpoint at
 * (hole 6 of the paper). Either way the VM's index advances before the message is delivered, so the message
 * never becomes an orphan.
 */
public enum EarlyIndexPolicy {
  /**
   * The default: advance the index without a checkpoint and seal the receive log of the ended interval for
   * stable storage, exactly what the VM would have done at that boundary anyway. Costs a log write, no snapshot.
   */
  ADVANCE_AND_LOG,
  /** Take a (forced) checkpoint at that index, as index-based communication-induced checkpointing would. */
  FORCE_CHECKPOINT
}
