package org.vmqsc.agent.engine;

import java.util.Arrays;
import java.util.HexFormat;
import org.vmqsc.agent.store.ChunkRef;
import org.vmqsc.agent.store.Manifest;

/**
 * One VM's previous checkpoint, as the engine needs it to skip work: its chunks in image order (fingerprint, length,
 * the manifest entry that names it: SHA-256 or staging key, and how many checkpoints have reused its stored copy
 * without reading it back; zero chunks by length only) and a table from fingerprint + length to position.
 *
 * <p>It only ever holds what was computed from the same bytes at the same moment and then written in a durable
 * manifest, so it cannot go stale in a harmful way: a chunk deleted since is caught by the store's existence check,
 * and a lost index is rebuilt from the manifest.
 *
 * <p>It keeps the manifest's entries themselves: a chunk the next checkpoint reuses enters that checkpoint's
 * manifest and index as the same object, so an unchanged chunk costs no allocation (making its name and fingerprint
 * strings anew for every chunk, and collecting them, cost more than fingerprinting it). Fingerprints, lengths and
 * the table are parallel arrays with open addressing, no object per entry: a 16 GiB VM has two million 8 KiB chunks.
 * Not thread-safe while being filled; read-only once published.
 */
final class FingerprintIndex {

  private static final byte UNKNOWN = 0;
  private static final byte ZERO = 1;
  private static final byte NAMED = 2;

  private final String chunker;
  private long[] low;
  private long[] high;
  private int[] lengths;
  private ChunkRef[] refs;  // the manifest entry of a named chunk, null for the others
  private byte[] kinds;  // UNKNOWN, ZERO or NAMED
  /**
   * Per named chunk, how many of the VM's checkpoints have reused its stored copy since that copy was written or last
   * read back; {@link #NEVER_CHECKED} in an index read from a manifest, which does not say.
   */
  private byte[] unchecked;
  private int count;
  private int[] table;  // position + 1 of a named chunk; 0 marks a free slot
  /**
   * Whether the checkpoint was an incremental that stored at least half its image anew (false for a first checkpoint,
   * and for one read back from its manifest, which does not say).
   */
  private boolean storedMostlyAnew;
  /** See {@link #sequence()}. */
  private final long sequence;

  /** What {@link #unchecked} says of a copy nothing in this agent has read back or written. */
  static final int NEVER_CHECKED = Byte.MAX_VALUE;

  FingerprintIndex(String chunker) {
    this(chunker, 1024, 0);
  }

  /** Room for about {@code expected} chunks before the arrays grow; {@code sequence}: see {@link #sequence()}. */
  FingerprintIndex(String chunker, int expected, long sequence) {
    this.chunker = chunker;
    this.sequence = sequence;
    int capacity = Math.max(16, expected + expected / 8);  // the next image may have a few more chunks
    low = new long[capacity];
    high = new long[capacity];
    lengths = new int[capacity];
    refs = new ChunkRef[capacity];
    kinds = new byte[capacity];
    unchecked = new byte[capacity];
    table = new int[Integer.highestOneBit(capacity) * 4];  // at most half full until the arrays grow
  }

  /** The index of a manifest's chunks. Chunks of older manifests (no fingerprint) keep their place but never match. */
  static FingerprintIndex of(Manifest manifest) {
    FingerprintIndex index = new FingerprintIndex(manifest.chunker(), manifest.chunks().size(), 0);
    for (ChunkRef ref : manifest.chunks()) {
      if (ref.isZero()) {
        index.addZero(ref.length());
      } else if (ref.fingerprint() != null) {
        String fingerprint = ref.fingerprint();
        index.add(Long.parseUnsignedLong(fingerprint, 0, 16, 16), Long.parseUnsignedLong(fingerprint, 16, 32, 16),
            ref, NEVER_CHECKED);
      } else {
        index.append(ref.length());
      }
    }
    return index;
  }

  static FingerprintIndex empty() {
    return new FingerprintIndex("");
  }

  void addZero(int length) {
    int at = append(length);
    kinds[at] = ZERO;
  }

  /**
   * Adds the named chunk {@code ref}, whose fingerprint is {@code fingerprintLow}, {@code fingerprintHigh}, and whose
   * stored copy {@code unchecked} checkpoints have reused unread since it was written or read back.
   */
  void add(long fingerprintLow, long fingerprintHigh, ChunkRef ref, int unchecked) {
    int at = append(ref.length());
    kinds[at] = NAMED;
    this.unchecked[at] = (byte) Math.min(NEVER_CHECKED, unchecked);
    low[at] = fingerprintLow;
    high[at] = fingerprintHigh;
    refs[at] = ref;
    inserted(at);
  }

  /** Enters the named chunk just appended at {@code at} into the table, growing it first if need be. */
  private void inserted(int at) {
    if (2 * count > table.length) {
      table = new int[table.length * 2];
      for (int i = 0; i < count - 1; i++) {
        if (kinds[i] == NAMED) {
          insert(i);
        }
      }
    }
    insert(at);
  }

  private int append(int length) {
    if (count == lengths.length) {
      int capacity = 2 * count;
      low = Arrays.copyOf(low, capacity);
      high = Arrays.copyOf(high, capacity);
      lengths = Arrays.copyOf(lengths, capacity);
      kinds = Arrays.copyOf(kinds, capacity);
      unchecked = Arrays.copyOf(unchecked, capacity);
      refs = Arrays.copyOf(refs, capacity);
    }
    lengths[count] = length;
    return count++;
  }

  private void insert(int position) {
    int slot = slotOf(low[position], high[position], lengths[position]);
    if (table[slot] == 0) {  // else the same chunk occurs earlier in the image; the first one stays
      table[slot] = position + 1;
    }
  }

  /** The position of a non-zero chunk with this fingerprint and length, or -1 if the checkpoint had none. */
  int find(long fingerprintLow, long fingerprintHigh, int length) {
    return table[slotOf(fingerprintLow, fingerprintHigh, length)] - 1;
  }

  /** The slot holding this key, or the free slot where it would go. */
  private int slotOf(long fingerprintLow, long fingerprintHigh, int length) {
    int mask = table.length - 1;
    // The fingerprint is already uniformly distributed; its low bits pick the slot.
    int slot = (int) (fingerprintLow ^ (fingerprintLow >>> 32)) & mask;
    while (true) {
      int entry = table[slot] - 1;
      if (entry < 0 || (low[entry] == fingerprintLow && high[entry] == fingerprintHigh && lengths[entry] == length)) {
        return slot;
      }
      slot = (slot + 1) & mask;
    }
  }

  void storedMostlyAnew(boolean mostlyAnew) {
    this.storedMostlyAnew = mostlyAnew;
  }

  /** Whether the checkpoint was an incremental that stored at least half its image anew: the next one likely will. */
  boolean storedMostlyAnew() {
    return storedMostlyAnew;
  }

  /**
   * How many of the VM's checkpoints this agent has taken since it read the index from a manifest (or since the VM's
   * first): 0 for an index read from a manifest or an empty one, one more for each checkpoint's index. The read-back's
   * turns count by it.
   */
  long sequence() {
    return sequence;
  }

  /** For the named chunk at {@code position}: how many checkpoints reused its stored copy unread (see {@link #add}). */
  int unchecked(int position) {
    return unchecked[position];
  }

  /** How many chunks the checkpoint had. */
  int size() {
    return count;
  }

  String chunker() {
    return chunker;
  }

  int length(int position) {
    return lengths[position];
  }

  boolean isZero(int position) {
    return kinds[position] == ZERO;
  }

  boolean matches(int position, long fingerprintLow, long fingerprintHigh) {
    return kinds[position] == NAMED && low[position] == fingerprintLow && high[position] == fingerprintHigh;
  }

  /** The manifest entry of the named chunk at {@code position}: its name is a SHA-256, or a staging key if staged. */
  ChunkRef ref(int position) {
    return refs[position];
  }

  /** 32 hex digits: the low half, then the high half, each big-endian. */
  static String toHex(long fingerprintLow, long fingerprintHigh) {
    byte[] digits = new byte[32];  // one string per chunk, not three
    for (int i = 0; i < 16; i++) {
      digits[i] = HEX_DIGITS[(int) (fingerprintLow >>> (60 - 4 * i)) & 0xf];
      digits[16 + i] = HEX_DIGITS[(int) (fingerprintHigh >>> (60 - 4 * i)) & 0xf];
    }
    return new String(digits, java.nio.charset.StandardCharsets.ISO_8859_1);
  }

  private static final byte[] HEX_DIGITS = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  /**
   * Whether {@code hex}, 32 lower-case hex digits, is {@link #toHex} of this fingerprint; without making the string
   * (a restore asks once per chunk).
   */
  static boolean hexNames(String hex, long fingerprintLow, long fingerprintHigh) {
    return hex.length() == 32 && HexFormat.fromHexDigitsToLong(hex, 0, 16) == fingerprintLow
        && HexFormat.fromHexDigitsToLong(hex, 16, 32) == fingerprintHigh;
  }

  @Override public String toString() {
    return "FingerprintIndex[" + count + " chunks, " + chunker + "]";
  }
}
