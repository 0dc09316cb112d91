package org.vmqsc.agent.log;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.function.Predicate;
import org.vmqsc.protocol.Message;

/**
 * The payloads a host keeps, per channel in seq order. A channel's messages arrive, and are collected, in the order
 * of their seq, so each channel is an array indexed from the lowest seq it keeps: keeping a payload writes the next
 * slot, where one hash map over every message of the host (a few hundred thousand between two line moves on a busy
 * relay) spent most of the relay's time missing the cache. Messages of one seq from different incarnations of
 * their sender (a rolled-back sender sends its seqs again) share a slot.
 */
final class Payloads {

  /** One kept payload, and the next one of the same slot (another incarnation's message of that seq). */
  private static final class Kept {
    final Message message;
    final byte[] payload;
    Kept next;

    Kept(Message message, byte[] payload, Kept next) {
      this.message = message;
      this.payload = payload;
      this.next = next;
    }
  }

  /** One channel's payloads: {@code slots[i]} holds those of seq {@code base + i}; {@code end} slots are in use. */
  private static final class Channel {
    long base;
    Kept[] slots = new Kept[16];
    int end;

    byte[] get(Message m) {
      for (Kept k = at(m.seq()); k != null; k = k.next) if (k.message.equals(m)) return k.payload;
      return null;
    }

    /** The payloads kept for {@code seq}, one per incarnation of the sender, or null. */
    Kept at(long seq) {
      long i = seq - base;
      return i < 0 || i >= end ? null : slots[(int) i];
    }

    /** False when the message is kept already. */
    boolean putIfAbsent(Message m, byte[] payload) {
      if (end == 0) base = m.seq();
      if (m.seq() < base) makeRoomBefore(m.seq());
      int i = slot(m.seq());
      if (i >= slots.length) slots = Arrays.copyOf(slots, Math.max(i + 1, 2 * slots.length));
      for (Kept k = slots[i]; k != null; k = k.next) if (k.message.equals(m)) return false;
      slots[i] = new Kept(m, payload, slots[i]);
      end = Math.max(end, i + 1);
      return true;
    }

    /** Keeps only {@code live} messages; returns how many are left. */
    int retain(Predicate<Message> live) {
      int left = 0;
      int first = -1;
      int last = -1;
      for (int i = 0; i < end; i++) {
        Kept kept = null;
        for (Kept k = slots[i]; k != null; k = k.next) {
          if (live.test(k.message)) {
            kept = new Kept(k.message, k.payload, kept);
            left++;
          }
        }
        slots[i] = kept;
        if (kept != null) {
          if (first < 0) first = i;
          last = i;
        }
      }
      if (first < 0) {
        end = 0;
        slots = new Kept[16];
      } else {
        int used = last - first + 1;
        Kept[] compact = new Kept[Math.max(16, Integer.highestOneBit(used) * 2)];
        System.arraycopy(slots, first, compact, 0, used);
        slots = compact;
        base += first;
        end = used;
      }
      return left;
    }

    private int slot(long seq) {
      long i = seq - base;
      if (i >= Integer.MAX_VALUE - 8) throw new IllegalStateException("a channel's kept seqs span more than an array");
      return (int) i;
    }

    /** A seq before the lowest kept one (a rolled-back sender's again, after its first were collected). */
    private void makeRoomBefore(long seq) {
      long gap = base - seq;
      if (gap + end >= Integer.MAX_VALUE - 8) {
        throw new IllegalStateException("a channel's kept seqs span more than an array");
      }
      int shift = (int) gap;
      Kept[] grown = new Kept[Math.max(slots.length, end + shift)];
      System.arraycopy(slots, 0, grown, shift, end);
      slots = grown;
      end += shift;
      base = seq;
    }
  }

  private final Map<Long, Channel> channels = new HashMap<>();
  private int size;

  /** Keeps the payload of {@code m} unless it is kept already. */
  void putIfAbsent(Message m, byte[] payload) {
    if (channels.computeIfAbsent(channel(m), k -> new Channel()).putIfAbsent(m, payload)) size++;
  }

  byte[] get(Message m) {
    Channel c = channels.get(channel(m));
    return c == null ? null : c.get(m);
  }

  /** The payload of {@code m} or of the same send made by another incarnation of its sender, or null. */
  byte[] getSameSend(Message m) {
    Channel c = channels.get(channel(m));
    for (Kept k = c == null ? null : c.at(m.seq()); k != null; k = k.next) if (k.message.isSameSend(m)) return k.payload;
    return null;
  }

  /** Forgets every payload but those {@code live} accepts. */
  void retainOnly(Predicate<Message> live) {
    size = 0;
    for (Iterator<Channel> it = channels.values().iterator(); it.hasNext(); ) {
      int left = it.next().retain(live);
      if (left == 0) it.remove();
      size += left;
    }
  }

  int size() {
    return size;
  }

  private static long channel(Message m) {
    return ((long) m.from() << 32) | (m.to() & 0xffff_ffffL);
  }
}
