package org.vmqsc.server.service;

import static org.vmqsc.server.service.Checks.invalid;

/**
 * The receiver's host wrote a late message (sent in an earlier interval than the one it was received in) to
 * stable storage. VMs are named by uuid; seq, sender index and incarnation are the sender's, rsn/position/receiverIndex the
 * receiver's (where in its execution, and in which of its incarnations, it got the message); senderReceived is
 * how many messages the sender had received when it sent it (0 where its host does not practise causal logging).
 */
public record LoggedMessageReport(String fromVmUuid, String toVmUuid, long seq, long senderIndex, int incarnation,
                                  int sizeBytes, long digest, long rsn, long position, long receiverIndex,
                                  int receiverIncarnation, String location, long senderReceived) {

  public LoggedMessageReport(String fromVmUuid, String toVmUuid, long seq, long senderIndex, int incarnation,
                             int sizeBytes, long digest, long rsn, long position, long receiverIndex,
                             int receiverIncarnation, String location) {
    this(fromVmUuid, toVmUuid, seq, senderIndex, incarnation, sizeBytes, digest, rsn, position, receiverIndex,
        receiverIncarnation, location, 0);
  }

  public LoggedMessageReport {
    if (fromVmUuid == null || toVmUuid == null || fromVmUuid.equals(toVmUuid)) {
      throw invalid("a logged message needs two different VMs, got " + fromVmUuid + " -> " + toVmUuid);
    }
    if (seq < 1) throw invalid("seq starts at 1, got " + seq);
    if (senderIndex < 0 || incarnation < 0 || sizeBytes < 0 || rsn < 1 || position < 0 || receiverIndex < 0
        || receiverIncarnation < 0) {
      throw invalid("sender index, incarnations, size, position and receiverIndex must be >= 0 and rsn >= 1");
    }
    if (location == null || location.isBlank()) throw invalid("a logged message needs its stable location");
    if (senderReceived < 0) throw invalid("senderReceived must be >= 0, got " + senderReceived);
  }
}
