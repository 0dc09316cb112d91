package org.vmqsc.protocol.recovery;

import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.vmqsc.protocol.CarriedReceipt;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.Message;
import org.vmqsc.protocol.host.SenderCopy;

/**
 * The survivors as a manager's keeper sees them when it numbers every VM's current execution 0: messages of
 * discarded executions left out, and each receiver incarnation a host reported translated into the keeper's
 * numbering (so an rsn counts only where it numbers a receipt of the receiver's current execution).
 */
public final class CurrentExecutions implements Survivors {

  private final Survivors reported;
  private final Predicate<Message> stale;
  private final ReceiverIncarnation receiverIncarnation;

  /** The keeper's incarnation (0 for the current execution) of a receipt a host reported. */
  @FunctionalInterface
  public interface ReceiverIncarnation {
    /** Receipt {@code rsn} of {@code vm}, made by the incarnation a host reported as {@code reported}. */
    int of(int vm, int reported, long rsn);
  }

  /**
   * @param stale               whether a message was sent by an execution a recovery discarded
   * @param receiverIncarnation (vm, incarnation a host reported, rsn) to the keeper's incarnation for that VM
   */
  public CurrentExecutions(Survivors reported, Predicate<Message> stale, ReceiverIncarnation receiverIncarnation) {
    this.reported = reported;
    this.stale = stale;
    this.receiverIncarnation = receiverIncarnation;
  }

  @Override public Set<Integer> vms() {
    return reported.vms();
  }

  @Override public long[] receivedFrom(int vm) {
    return reported.receivedFrom(vm);
  }

  @Override public List<LogEntry> receiveLog(int vm) {
    return reported.receiveLog(vm).stream().filter(e -> !stale.test(e.message()))
        .map(e -> new LogEntry(e.message(), e.rsn(), e.position(), e.receiverIndex(),
            receiverIncarnation.of(vm, e.incarnation(), e.rsn())))
        .toList();
  }

  @Override public boolean carryReceipts() {
    return reported.carryReceipts();
  }

  @Override public List<CarriedReceipt> carriedReceipts(int vm) {
    return reported.carriedReceipts(vm).stream().filter(c -> !stale.test(c.message()))
        .map(c -> new CarriedReceipt(new LogEntry(c.message(), c.entry().rsn(), c.entry().position(),
            c.entry().receiverIndex(), receiverIncarnation.of(vm, c.entry().incarnation(), c.entry().rsn()))))
        .toList();
  }

  @Override public List<SenderCopy> copiesTo(int vm) {
    return reported.copiesTo(vm).stream().filter(c -> !stale.test(c.message()))
        .map(c -> c.isAcknowledged()
            ? new SenderCopy(c.message(), c.rsn(), c.receiverIndex(),
                receiverIncarnation.of(vm, c.receiverIncarnation(), c.rsn()))
            : c)
        .toList();
  }
}
