package org.vmqsc.agent.store;

import java.util.Arrays;
import java.util.Collection;

/**
 * A set of chunk names as one array with open addressing: what a {@link ChunkGuard.Lease} holds. A checkpoint holds
 * every chunk it names, tens of thousands, and a {@code HashSet} made an entry object for each, which cost more
 * than the hold itself. Names are strings whose hash codes the JDK caches, and a checkpoint mostly holds the very
 * strings the one before it held. Not thread-safe.
 */
final class NameSet {

  private String[] slots;
  private int size;

  NameSet(int expected) {
    slots = new String[Math.max(16, Integer.highestOneBit(Math.max(1, expected)) * 4)];
  }

  /** Adds {@code name} unless it is in the set already. */
  void add(String name) {
    if (2 * (size + 1) > slots.length) {
      grow();
    }
    int slot = slotOf(slots, name);
    if (slots[slot] == null) {
      slots[slot] = name;
      size++;
    }
  }

  boolean contains(String name) {
    return slots[slotOf(slots, name)] != null;
  }

  void addTo(Collection<String> out) {
    for (String name : slots) {
      if (name != null) {
        out.add(name);
      }
    }
  }

  void clear() {
    Arrays.fill(slots, null);
    size = 0;
  }

  /** The slot holding {@code name}, or the free slot where it would go. */
  private static int slotOf(String[] slots, String name) {
    int mask = slots.length - 1;
    int hash = name.hashCode();
    int slot = (hash ^ (hash >>> 16)) & mask;
    while (slots[slot] != null && !slots[slot].equals(name)) {
      slot = (slot + 1) & mask;
    }
    return slot;
  }

  private void grow() {
    String[] larger = new String[slots.length * 2];
    for (String name : slots) {
      if (name != null) {
        larger[slotOf(larger, name)] = name;
      }
    }
    slots = larger;
  }
}
