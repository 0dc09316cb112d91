package org.vmqsc.protocol.host;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;

/**
 * The sender copies of one channel (sender → receiver), by seq. A channel's copies are made in seq order and mostly
 * dropped from the oldest, so they sit in an array indexed from the lowest seq kept: keeping the next copy writes the
 * next slot and finding one by its seq is one subtraction, where a sorted map spent a relay's time walking its tree.
 * Seqs dropped in the middle leave empty slots; seqs before the lowest (a copy handed over by a migrating VM) grow the
 * array at its front.
 */
final class CopyChannel {

  private long base;
  private SenderCopy[] slots = new SenderCopy[16];
  /** Slots in use: {@code slots[0]} and {@code slots[end - 1]} are never empty unless the channel is. */
  private int end;
  private int size;

  SenderCopy get(long seq) {
    long i = seq - base;
    return i < 0 || i >= end ? null : slots[(int) i];
  }

  /** Keeps {@code c} under its seq, replacing what was kept there. */
  void put(SenderCopy c) {
    long seq = c.message().seq();
    if (end == 0) base = seq;
    if (seq < base) makeRoomBefore(seq);
    long i = seq - base;
    if (i >= Integer.MAX_VALUE - 8) throw new IllegalStateException("a channel's copies span more than an array");
    if (i >= slots.length) slots = Arrays.copyOf(slots, (int) Math.max(i + 1, 2L * slots.length));
    if (slots[(int) i] == null) size++;
    slots[(int) i] = c;
    end = Math.max(end, (int) i + 1);
  }

  /** Drops every copy {@code drop} accepts. */
  void removeIf(Predicate<SenderCopy> drop) {
    int first = -1;
    int last = -1;
    for (int i = 0; i < end; i++) {
      SenderCopy c = slots[i];
      if (c == null) continue;
      if (drop.test(c)) {
        slots[i] = null;
        size--;
      } else {
        if (first < 0) first = i;
        last = i;
      }
    }
    if (first < 0) {
      slots = new SenderCopy[16];
      end = 0;
      return;
    }
    int used = last - first + 1;
    SenderCopy[] compact = new SenderCopy[Math.max(16, Integer.highestOneBit(used) * 2)];
    System.arraycopy(slots, first, compact, 0, used);
    slots = compact;
    base += first;
    end = used;
  }

  /** The copies, in seq order. */
  List<SenderCopy> values() {
    List<SenderCopy> out = new ArrayList<>(size);
    for (int i = 0; i < end; i++) if (slots[i] != null) out.add(slots[i]);
    return out;
  }

  boolean isEmpty() {
    return size == 0;
  }

  private void makeRoomBefore(long seq) {
    long gap = base - seq;
    if (gap + end >= Integer.MAX_VALUE - 8) throw new IllegalStateException("a channel's copies span more than an array");
    SenderCopy[] grown = new SenderCopy[(int) Math.max(slots.length, end + gap)];
    System.arraycopy(slots, 0, grown, (int) gap, end);
    slots = grown;
    end += (int) gap;
    base = seq;
  }
}
