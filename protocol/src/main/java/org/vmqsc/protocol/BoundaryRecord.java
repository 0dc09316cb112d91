package org.vmqsc.protocol;

import java.util.Arrays;

/**
 * What a host reports for one VM at one base boundary: either a checkpoint (CSN = index) or a sealed log segment.
 * The counters describe the VM's state at that boundary, so the manager can tell which messages a recovery line
 * leaves in transit without seeing any message.
 *
 * @param forced   taken early, because a message with a higher CSN arrived first
 * @param position the guest's position (its count of deterministic steps) at the boundary; replay stops there
 * @param received how many messages the VM had received in all (its receive sequence number)
 * @param sentTo       per destination VM, how many messages this VM had sent on that channel
 * @param receivedFrom per source VM, how many messages this VM had received on that channel
 */
public record BoundaryRecord(int vm, long index, int incarnation, BoundaryKind kind, boolean forced,
                             long position, long received, long[] sentTo, long[] receivedFrom) {

  public BoundaryRecord {
    sentTo = sentTo.clone();
    receivedFrom = receivedFrom.clone();
  }

  /** The same record, of execution {@code otherIncarnation}. */
  public BoundaryRecord withIncarnation(int otherIncarnation) {
    return new BoundaryRecord(vm, index, otherIncarnation, kind, forced, position, received, sentTo, receivedFrom);
  }

  public boolean isCheckpoint() {
    return kind == BoundaryKind.CHECKPOINT;
  }

  @Override public long[] sentTo() {
    return sentTo.clone();
  }

  @Override public long[] receivedFrom() {
    return receivedFrom.clone();
  }

  public long sentTo(int vm) {
    return sentTo[vm];
  }

  public long receivedFrom(int vm) {
    return receivedFrom[vm];
  }

  @Override public boolean equals(Object o) {
    return o instanceof BoundaryRecord r && vm == r.vm && index == r.index && incarnation == r.incarnation
        && kind == r.kind && forced == r.forced && position == r.position && received == r.received
        && Arrays.equals(sentTo, r.sentTo) && Arrays.equals(receivedFrom, r.receivedFrom);
  }

  @Override public int hashCode() {
    return (int) (31 * (31 * vm + index) + incarnation);
  }

  @Override public String toString() {
    return (isCheckpoint() ? "C(" : "L(") + vm + "," + index + (forced ? ",forced" : "")
        + (incarnation > 0 ? ",inc " + incarnation : "") + ")";
  }
}
