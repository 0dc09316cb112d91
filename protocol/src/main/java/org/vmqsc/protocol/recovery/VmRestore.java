package org.vmqsc.protocol.recovery;

import java.util.List;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.Message;
import org.vmqsc.protocol.BoundaryRecord;

/**
 * How one rolled-back VM comes back: restore {@code checkpoint} from stable storage, replay the entries of
 * {@code segments} (each at its position) and run to {@code lineState}'s position (its recovered state, at a
 * boundary at or after the line); then, under {@code incarnation}, deliver {@code replays} in order, through the
 * normal receive path.
 *
 * <p>A failed VM recovered past its last stable state (causal logging) goes on from {@code lineState}: it takes
 * {@code extension}'s receipts again, each at its position and index, and runs until it has sent {@code resends}
 * again (the messages other VMs' recovered states received from it after {@code lineState}: each with the index
 * it was sent at, so its boundaries fall where they fell), before it takes {@code replays} or anything new.
 */
public record VmRestore(int vm, int incarnation, BoundaryRecord checkpoint, List<BoundaryRecord> segments,
                        BoundaryRecord lineState, List<Replay> replays, List<LogEntry> extension,
                        List<Message> resends) {

  public VmRestore {
    replays = List.copyOf(replays);
    extension = extension == null ? List.of() : List.copyOf(extension);
    resends = resends == null ? List.of() : List.copyOf(resends);
  }

  public VmRestore(int vm, int incarnation, BoundaryRecord checkpoint, List<BoundaryRecord> segments,
                   BoundaryRecord lineState, List<Replay> replays) {
    this(vm, incarnation, checkpoint, segments, lineState, replays, List.of(), List.of());
  }

  /** Whether the VM recovers past its stable state, by receipts other hosts hold and re-execution. */
  public boolean isExtended() {
    return !extension.isEmpty() || !resends.isEmpty();
  }

  /**
   * Per receiver, how many messages the recovered VM has sent: its stable state's, and those it sends again. What
   * its discarded execution sent beyond these is stale.
   */
  public long[] sentToAfterRecovery() {
    long[] sent = lineState.sentTo();
    for (Message m : resends) sent[m.to()] = Math.max(sent[m.to()], m.seq());
    return sent;
  }

  /** How many messages the recovered VM has received: its stable state's, and the receipts it takes again. */
  public long receivedAfterRecovery() {
    return lineState.received() + extension.size();
  }
}
