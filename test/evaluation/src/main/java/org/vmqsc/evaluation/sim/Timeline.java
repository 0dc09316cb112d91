package org.vmqsc.evaluation.sim;

import java.util.Arrays;
import java.util.List;
import org.vmqsc.evaluation.MessageEvent;

/**
 * The scenario's sends and receives in one total order. Event k sits at odd position 2k+1; an instant t (a timer,
 * a checkpoint, a failure) sits at the even position just before every event at or after t. A {@link Cut} compares
 * positions, so ties in time never make a state ambiguous.
 */
public final class Timeline {
  private final double[] times;
  private final int[] message;      // message id of event k
  private final boolean[] isReceive;
  private final long[] sendPos;
  private final long[] receivePos;

  public Timeline(List<MessageEvent> messages) {
    int n = messages.size();
    Integer[] order = new Integer[2 * n];
    for (int i = 0; i < 2 * n; i++) order[i] = i;
    // event 2i = send of message i, 2i+1 = its receive; at equal times receives go first, then by message id.
    Arrays.sort(order, (a, b) -> {
      MessageEvent ma = messages.get(a / 2), mb = messages.get(b / 2);
      double ta = a % 2 == 0 ? ma.sendTime() : ma.receiveTime();
      double tb = b % 2 == 0 ? mb.sendTime() : mb.receiveTime();
      int c = Double.compare(ta, tb);
      if (c != 0) return c;
      c = Integer.compare(b % 2, a % 2);
      return c != 0 ? c : Integer.compare(a, b);
    });
    times = new double[2 * n];
    message = new int[2 * n];
    isReceive = new boolean[2 * n];
    sendPos = new long[n];
    receivePos = new long[n];
    for (int k = 0; k < 2 * n; k++) {
      int e = order[k];
      MessageEvent m = messages.get(e / 2);
      message[k] = m.id();
      isReceive[k] = e % 2 == 1;
      times[k] = isReceive[k] ? m.receiveTime() : m.sendTime();
      if (isReceive[k]) receivePos[m.id()] = 2L * k + 1; else sendPos[m.id()] = 2L * k + 1;
    }
  }

  public int events() { return times.length; }
  public double time(int k) { return times[k]; }
  public int message(int k) { return message[k]; }
  public boolean isReceive(int k) { return isReceive[k]; }
  public long position(int k) { return 2L * k + 1; }
  public long sendPos(int msg) { return sendPos[msg]; }
  public long receivePos(int msg) { return receivePos[msg]; }

  /** The time of the last event before position p (0 if none): when a state at p was last changed. */
  public double timeBefore(long p) {
    long before = Math.min(times.length, Math.max(0, p / 2));
    return before == 0 ? 0 : times[(int) before - 1];
  }

  /** The even position of instant t: after every event strictly before t, before every event at or after t. */
  public long positionOf(double t) {
    int lo = 0, hi = times.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (times[mid] < t) lo = mid + 1; else hi = mid;
    }
    return 2L * lo;
  }
}
