package org.vmqsc.sim.events;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Per channel, the digests of what the sender's current execution sent, by seq; and per channel, how many
 * messages the receiver's current execution received. A rollback of either side cuts its part back.
 */
final class Channels {
  /** Key: from, to. Value: digest of send #seq at index seq-1 (null: not known, after a gap). */
  private final Map<Long, List<Long>> sent = new HashMap<>();
  private final Map<Long, Long> received = new HashMap<>();

  static long key(int from, int to) {
    return ((long) from << 32) | to;
  }

  static int from(long key) {
    return (int) (key >>> 32);
  }

  static int to(long key) {
    return (int) key;
  }

  long sentCount(int from, int to) {
    List<Long> c = sent.get(key(from, to));
    return c == null ? 0 : c.size();
  }

  /** The digest of send #seq of the sender's current execution, or null if it sent fewer or it is unknown. */
  Long digest(int from, int to, long seq) {
    List<Long> c = sent.get(key(from, to));
    return c == null || seq < 1 || seq > c.size() ? null : c.get((int) seq - 1);
  }

  /** Records send #seq; whatever the execution had at seq and after is replaced (the caller reports a gap). */
  void send(int from, int to, long seq, long digest) {
    List<Long> c = sent.computeIfAbsent(key(from, to), k -> new ArrayList<>());
    cut(c, seq - 1);
    while (c.size() < seq - 1) c.add(null);
    c.add(digest);
  }

  /** The sender's execution now has sent exactly {@code count} on the channel. */
  void truncateSent(int from, int to, long count) {
    List<Long> c = sent.computeIfAbsent(key(from, to), k -> new ArrayList<>());
    cut(c, count);
    while (c.size() < count) c.add(null);
  }

  private static void cut(List<Long> c, long size) {
    while (c.size() > size) c.remove(c.size() - 1);
  }

  long received(int from, int to) {
    return received.getOrDefault(key(from, to), 0L);
  }

  void setReceived(int from, int to, long count) {
    received.put(key(from, to), count);
  }

  /** Every channel that carried or received something. */
  Set<Long> keys() {
    Set<Long> all = new java.util.TreeSet<>(sent.keySet());
    all.addAll(received.keySet());
    return all;
  }
}
