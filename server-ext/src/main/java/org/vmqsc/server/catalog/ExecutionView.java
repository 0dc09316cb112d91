package org.vmqsc.server.catalog;

import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.Message;
import org.vmqsc.protocol.recovery.CurrentExecutions;
import org.vmqsc.protocol.recovery.KeptReceipts;
import org.vmqsc.protocol.recovery.Survivors;
import org.vmqsc.server.persistence.GroupMemberEntity;

/**
 * Translates what hosts hold (real incarnations) into the view of a {@link GroupState}'s keeper, which sees each
 * VM's current execution only (incarnation 0, see {@link GroupState}): messages of discarded executions are left
 * out, and a receive order (rsn) is kept only where it numbers a receipt of the receiver's current execution.
 */
final class ExecutionView {

  private static final int CURRENT = 0;
  private static final int EARLIER = -1;

  private final GroupState state;

  ExecutionView(GroupState state) {
    this.state = state;
  }

  /** Sent by an execution of its sender that a recovery discarded (after the line it rolled back to). */
  boolean isStale(Message m) {
    GroupMemberEntity sender = state.member(m.from());
    long[] sentAtRollback = sender.rollbackSentCounts();
    return m.incarnation() < sender.incarnation() && sentAtRollback != null && m.seq() > sentAtRollback[m.to()];
  }

  int receiverIncarnation(int vm, int reported, long rsn) {
    GroupMemberEntity member = state.member(vm);
    return KeptReceipts.of(member.keptReceipts()).keeps(member.incarnation(), reported, rsn) ? CURRENT : EARLIER;
  }

  LogEntry entry(Message m, long rsn, long position, long receiverIndex, int receiverIncarnation) {
    return new LogEntry(m, rsn, position, receiverIndex, receiverIncarnation(m.to(), receiverIncarnation, rsn));
  }

  Survivors survivors(Survivors reported) {
    return new CurrentExecutions(reported, this::isStale, this::receiverIncarnation);
  }
}
