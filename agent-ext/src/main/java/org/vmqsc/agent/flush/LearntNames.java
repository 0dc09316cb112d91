package org.vmqsc.agent.flush;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * The SHA-256 names a flush learnt for one VM's staging keys (see {@code StagingKeys}): staging key → SHA-256 of the
 * bytes the key named when the flush read and checked them. Every key of one VM shares its first 32 hex digits, so
 * only the fingerprint half is kept: parallel arrays and open addressing, about 60 bytes per chunk, no object per
 * entry (a 16 GiB VM has two million 8 KiB chunks). Not thread-safe while being filled; read-only once published.
 */
final class LearntNames {

  private static final HexFormat HEX = HexFormat.of();
  private static final int PREFIX_DIGITS = 32;
  private static final int SHA_BYTES = 32;

  private final String prefix;
  private long[] low;
  private long[] high;
  private byte[] names;
  private int[] table;  // position + 1; 0 marks a free slot
  private int count;

  LearntNames(String prefix, int expected) {
    this.prefix = prefix;
    int capacity = Math.max(16, expected);
    low = new long[capacity];
    high = new long[capacity];
    names = new byte[capacity * SHA_BYTES];
    table = new int[Integer.highestOneBit(Math.max(16, 2 * capacity - 1)) * 2];
  }

  /** The prefix of the keys a staging key with this name would share with it. */
  static String prefixOf(String stagingKey) {
    return stagingKey.substring(0, PREFIX_DIGITS);
  }

  /** The SHA-256 name learnt for {@code stagingKey}, or null. */
  String get(String stagingKey) {
    if (!stagingKey.startsWith(prefix) || stagingKey.length() != PREFIX_DIGITS + 32) {
      return null;
    }
    long lo = HexFormat.fromHexDigitsToLong(stagingKey, PREFIX_DIGITS, PREFIX_DIGITS + 16);
    long hi = HexFormat.fromHexDigitsToLong(stagingKey, PREFIX_DIGITS + 16, PREFIX_DIGITS + 32);
    int entry = table[slotOf(lo, hi)] - 1;
    return entry < 0 ? null : HEX.formatHex(names, entry * SHA_BYTES, (entry + 1) * SHA_BYTES);
  }

  /** Records {@code sha256} as the name of {@code stagingKey}, a key with this table's prefix. */
  void put(String stagingKey, String sha256) {
    if (!stagingKey.startsWith(prefix) || stagingKey.length() != PREFIX_DIGITS + 32) {
      throw new IllegalArgumentException(stagingKey + " is not a staging key of prefix " + prefix);
    }
    long lo = HexFormat.fromHexDigitsToLong(stagingKey, PREFIX_DIGITS, PREFIX_DIGITS + 16);
    long hi = HexFormat.fromHexDigitsToLong(stagingKey, PREFIX_DIGITS + 16, PREFIX_DIGITS + 32);
    int slot = slotOf(lo, hi);
    int entry = table[slot] - 1;
    if (entry < 0) {
      if (count == low.length) {
        low = Arrays.copyOf(low, 2 * count);
        high = Arrays.copyOf(high, 2 * count);
        names = Arrays.copyOf(names, 2 * count * SHA_BYTES);
      }
      entry = count++;
      low[entry] = lo;
      high[entry] = hi;
      table[slot] = entry + 1;
    }
    byte[] sha = HEX.parseHex(sha256);
    System.arraycopy(sha, 0, names, entry * SHA_BYTES, SHA_BYTES);
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
