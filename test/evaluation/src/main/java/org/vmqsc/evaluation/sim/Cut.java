package org.vmqsc.evaluation.sim;

/**
 * The events one VM state contains: sends at positions before {@code sendsBefore}, receives at positions before
 * {@code receivesBefore}, and also the receive of any message sent before {@code receivesOfSendsBefore} (a blocking
 * coordinated checkpoint is taken after the channels drained, so it holds every message sent before the round).
 */
public record Cut(long sendsBefore, long receivesBefore, long receivesOfSendsBefore) {

  public static Cut at(long position) {
    return new Cut(position, position, -1);
  }

  public boolean hasSent(Timeline t, int msg) {
    return t.sendPos(msg) < sendsBefore;
  }

  public boolean hasReceived(Timeline t, int msg) {
    return t.receivePos(msg) < receivesBefore || t.sendPos(msg) < receivesOfSendsBefore;
  }
}
