package org.vmqsc.agent.flush;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import org.vmqsc.agent.store.ChunkLocation;

/**
 * The SHA-256 names a flush learnt for one VM's staging keys (see {@code StagingKeys}): staging key → SHA-256 of the
 * bytes the key named when the flush read and checked them, and where the staging store kept those bytes then. A
 * name is given back only for the same stored copy (the same pack and offset): stored data is never modified in
 * place, so that copy still holds the bytes the name was computed from. A key whose chunk was collected and stored
 * again (other bytes of the same fingerprint, if the guest crafted an XXH3 collision) has another place, and its
 * chunk is read, checked and hashed again.
 *
 * <p>Every key of one VM shares its first 32 hex digits, so only the fingerprint half is kept: parallel arrays and
 * open addressing, no object per entry (a pack's {@link Path} is the one object the staging store's index shares by
 * all its chunks). About {@value #BYTES_PER_ENTRY} bytes per allocated entry, table included. Not thread-safe while
 * being filled; read-only once published.
 */
final class LearntNames {

  private static final HexFormat HEX = HexFormat.of();
  private static final int PREFIX_DIGITS = 32;
  private static final int SHA_BYTES = 32;
  /** Two longs of fingerprint, the SHA-256, the offset, a reference, and two to four ints of table. */
  static final int BYTES_PER_ENTRY = 8 + 8 + SHA_BYTES + 8 + 8 + 12;

  private final String prefix;
  private long[] low;
  private long[] high;
  private byte[] names;
  /** Where the staging store kept the bytes each name was computed from; null where it could not tell. */
  private Path[] packs;
  private long[] offsets;
  private int[] table;  // position + 1; 0 marks a free slot
  private int count;

  /** Room for {@code expected} entries: the number of staged entries of the checkpoint being flushed. */
  LearntNames(String prefix, int expected) {
    this.prefix = prefix;
    int capacity = Math.max(1, expected);
    low = new long[capacity];
    high = new long[capacity];
    names = new byte[capacity * SHA_BYTES];
    packs = new Path[capacity];
    offsets = new long[capacity];
    table = new int[Integer.highestOneBit(Math.max(8, 2 * capacity - 1)) * 2];
  }

  /** The prefix of the keys a staging key with this name would share with it. */
  static String prefixOf(String stagingKey) {
    return stagingKey.substring(0, PREFIX_DIGITS);
  }

  /**
   * The SHA-256 name learnt for {@code stagingKey} from the stored copy at {@code where}, or null: when nothing was
   * learnt for it, or from another copy, or where is null (the staging store no longer holds it, or cannot tell).
   */
  String get(String stagingKey, ChunkLocation where) {
    if (where == null || !stagingKey.startsWith(prefix) || stagingKey.length() != PREFIX_DIGITS + 32) {
      return null;
    }
    long lo = HexFormat.fromHexDigitsToLong(stagingKey, PREFIX_DIGITS, PREFIX_DIGITS + 16);
    long hi = HexFormat.fromHexDigitsToLong(stagingKey, PREFIX_DIGITS + 16, PREFIX_DIGITS + 32);
    int entry = table[slotOf(lo, hi)] - 1;
    if (entry < 0 || packs[entry] == null || offsets[entry] != where.offset()
        || !(packs[entry] == where.pack() || packs[entry].equals(where.pack()))) {
      return null;
    }
    return HEX.formatHex(names, entry * SHA_BYTES, (entry + 1) * SHA_BYTES);
  }

  /**
   * Records {@code sha256} as the name of {@code stagingKey}, a key with this table's prefix, computed from the
   * stored copy at {@code where} (null: one the staging store could not locate, never given back).
   */
  void put(String stagingKey, String sha256, ChunkLocation where) {
    if (!stagingKey.startsWith(prefix) || stagingKey.length() != PREFIX_DIGITS + 32) {
      throw new IllegalArgumentException(stagingKey + " is not a staging key of prefix " + prefix);
    }
    long lo = HexFormat.fromHexDigitsToLong(stagingKey, PREFIX_DIGITS, PREFIX_DIGITS + 16);
    long hi = HexFormat.fromHexDigitsToLong(stagingKey, PREFIX_DIGITS + 16, PREFIX_DIGITS + 32);
    int slot = slotOf(lo, hi);
    int entry = table[slot] - 1;
    if (entry < 0) {
      if (count == low.length) {
        int capacity = 2 * count;
        low = Arrays.copyOf(low, capacity);
        high = Arrays.copyOf(high, capacity);
        names = Arrays.copyOf(names, capacity * SHA_BYTES);
        packs = Arrays.copyOf(packs, capacity);
        offsets = Arrays.copyOf(offsets, capacity);
      }
      entry = count++;
      low[entry] = lo;
      high[entry] = hi;
      table[slot] = entry + 1;
    }
    byte[] sha = HEX.parseHex(sha256);
    System.arraycopy(sha, 0, names, entry * SHA_BYTES, SHA_BYTES);
    packs[entry] = where == null ? null : where.pack();
    offsets[entry] = where == null ? -1 : where.offset();
    if (2 * count > table.length) {
      table = new int[table.length * 2];
      for (int i = 0; i < count; i++) {
        table[slotOf(low[i], high[i])] = i + 1;
      }
    }
  }

  int size() {
    return count;
  }

  /** Entries allocated, filled or not: what the flusher's cap counts. */
  int allocated() {
    return low.length;
  }

  /** The slot holding this fingerprint, or the free slot where it would go. */
  private int slotOf(long lo, long hi) {
    int mask = table.length - 1;
    int slot = (int) (lo ^ (lo >>> 32)) & mask;
    while (true) {
      int entry = table[slot] - 1;
      if (entry < 0 || (low[entry] == lo && high[entry] == hi)) {
        return slot;
      }
      slot = (slot + 1) & mask;
    }
  }
}
