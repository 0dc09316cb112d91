package org.vmqsc.agent.engine;

import java.util.Arrays;
import java.util.HexFormat;
import org.vmqsc.agent.store.ChunkRef;
import org.vmqsc.agent.store.Manifest;

/**
 * One VM's previous checkpoint, as the engine needs it to skip work: its chunks in image order (fingerprint, length,
 * name: SHA-256 or staging key; zero chunks by length only) and a table from fingerprint + length to position.
 *
 * <p>It only ever holds what was computed from the same bytes at the same moment and then written in a durable
 * manifest, so it cannot go stale in a harmful way: a chunk deleted since is caught by the store's existence check,
 * and a lost index is rebuilt from the manifest.
 *
 * <p>Parallel arrays and open addressing (60–120 bytes per chunk, no object per entry): a 16 GiB VM has two
 * million 8 KiB chunks. Not thread-safe while being filled; read-only once published.
 */
final class FingerprintIndex {

  private static final HexFormat HEX = HexFormat.of();
  private static final int SHA_BYTES = 32;
  private static final byte UNKNOWN = 0;
  private static final byte ZERO = 1;
  private static final byte FINGERPRINTED = 2;
  private static final byte STAGED = 3;  // named by its staging key, not its SHA-256

  private final String chunker;
  private long[] low;
  private long[] high;
  private int[] lengths;
  private byte[] hashes;
  private byte[] kinds;  // UNKNOWN, ZERO, FINGERPRINTED or STAGED
  private int count;
  private int[] table;  // position + 1 of a non-zero chunk; 0 marks a free slot

  FingerprintIndex(String chunker) {
    this(chunker, 1024);
  }

  /** Room for about {@code expected} chunks before the arrays grow. */
  FingerprintIndex(String chunker, int expected) {
    this.chunker = chunker;
    int capacity = Math.max(16, expected);
    low = new long[capacity];
    high = new long[capacity];
    lengths = new int[capacity];
    hashes = new byte[capacity * SHA_BYTES];
    kinds = new byte[capacity];
    table = new int[Integer.highestOneBit(capacity) * 2];
  }

  /** The index of a manifest's chunks. Chunks of older manifests (no fingerprint) keep their place but never match. */
  static FingerprintIndex of(Manifest manifest) {
    FingerprintIndex index = new FingerprintIndex(manifest.chunker());
    for (ChunkRef ref : manifest.chunks()) {
      if (ref.isZero()) {
        index.addZero(ref.length());
      } else if (ref.fingerprint() != null) {
        String fingerprint = ref.fingerprint();
        index.add(Long.parseUnsignedLong(fingerprint, 0, 16, 16), Long.parseUnsignedLong(fingerprint, 16, 32, 16),
            ref.length(), ref.hash(), ref.staged());
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

  /** Adds a chunk named {@code hash}: its SHA-256, or its staging key when {@code staged}. */
  void add(long fingerprintLow, long fingerprintHigh, int length, String hash, boolean staged) {
    add(fingerprintLow, fingerprintHigh, length, HEX.parseHex(hash), 0, staged ? STAGED : FINGERPRINTED);
  }

  /**
   * Adds a chunk named by its staging key: {@code prefix} (the VM's 16 bytes, see {@code StagingKeys}) and the
   * fingerprint, big-endian, low half first, as its hex digits read.
   */
  void addStaged(long fingerprintLow, long fingerprintHigh, int length, byte[] prefix) {
    int at = append(length);
    kinds[at] = STAGED;
    low[at] = fingerprintLow;
    high[at] = fingerprintHigh;
    int name = at * SHA_BYTES;
    System.arraycopy(prefix, 0, hashes, name, 16);
    for (int i = 0; i < 8; i++) {
      hashes[name + 16 + i] = (byte) (fingerprintLow >>> (56 - 8 * i));
      hashes[name + 24 + i] = (byte) (fingerprintHigh >>> (56 - 8 * i));
    }
    inserted(at);
  }

  /** Adds a chunk under the name {@code from} gives its chunk at {@code position}. */
  void add(long fingerprintLow, long fingerprintHigh, int length, FingerprintIndex from, int position) {
    add(fingerprintLow, fingerprintHigh, length, from.hashes, position * SHA_BYTES, from.kinds[position]);
  }

  private void add(long fingerprintLow, long fingerprintHigh, int length, byte[] hash, int hashAt, byte kind) {
    int at = append(length);
    kinds[at] = kind;
    low[at] = fingerprintLow;
    high[at] = fingerprintHigh;
    System.arraycopy(hash, hashAt, hashes, at * SHA_BYTES, SHA_BYTES);
    inserted(at);
  }

  /** Enters the named chunk just appended at {@code at} into the table, growing it first if need be. */
  private void inserted(int at) {
    if (2 * count > table.length) {
      table = new int[table.length * 2];
      for (int i = 0; i < count - 1; i++) {
        if (kinds[i] >= FINGERPRINTED) {
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
      hashes = Arrays.copyOf(hashes, capacity * SHA_BYTES);
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
    return kinds[position] >= FINGERPRINTED && low[position] == fingerprintLow && high[position] == fingerprintHigh;
  }

  /** Whether the chunk at {@code position} is named by its staging key rather than its SHA-256. */
  boolean isStaged(int position) {
    return kinds[position] == STAGED;
  }

  /** The name of the non-zero chunk at {@code position}: its SHA-256, or its staging key if {@link #isStaged}. */
  String hash(int position) {
    return HEX.formatHex(hashes, position * SHA_BYTES, (position + 1) * SHA_BYTES);
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
