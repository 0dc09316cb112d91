package org.vmqsc.agent.engine;

import java.util.Arrays;
import org.vmqsc.agent.store.ChunkRef;

/**
 * One block of a memory image and the chunks {@link ImageCutter} cut in it, in image order: where each starts in the
 * block, its length, and for a chunk that is not zeros its fingerprint and the previous checkpoint's entry for it
 * (null if that checkpoint did not have it) with how often its stored copy was reused unread. Parallel arrays: a
 * 4 MiB block holds about 500 chunks.
 */
final class CutBlock {

  final byte[] bytes;
  private int count;
  private int[] starts = new int[64];
  private int[] lengths = new int[64];
  private boolean[] zero = new boolean[64];
  private long[] fingerprintLow = new long[64];
  private long[] fingerprintHigh = new long[64];
  private ChunkRef[] knownRefs = new ChunkRef[64];
  private byte[] knownUnchecked = new byte[64];

  CutBlock(byte[] bytes) {
    this.bytes = bytes;
  }

  void addZero(int start, int length) {
    int i = append(start, length);
    zero[i] = true;
  }

  /** {@code unchecked}: for a {@code knownRef}, what the previous checkpoint's index says of it. */
  void add(int start, int length, long low, long high, ChunkRef knownRef, int unchecked) {
    int i = append(start, length);
    fingerprintLow[i] = low;
    fingerprintHigh[i] = high;
    knownRefs[i] = knownRef;
    knownUnchecked[i] = (byte) unchecked;
  }

  private int append(int start, int length) {
    if (count == starts.length) {
      int capacity = 2 * count;
      starts = Arrays.copyOf(starts, capacity);
      lengths = Arrays.copyOf(lengths, capacity);
      zero = Arrays.copyOf(zero, capacity);
      fingerprintLow = Arrays.copyOf(fingerprintLow, capacity);
      fingerprintHigh = Arrays.copyOf(fingerprintHigh, capacity);
      knownRefs = Arrays.copyOf(knownRefs, capacity);
      knownUnchecked = Arrays.copyOf(knownUnchecked, capacity);
    }
    starts[count] = start;
    lengths[count] = length;
    return count++;
  }

  int count() {
    return count;
  }

  int start(int i) {
    return starts[i];
  }

  int length(int i) {
    return lengths[i];
  }

  boolean isZero(int i) {
    return zero[i];
  }

  long fingerprintLow(int i) {
    return fingerprintLow[i];
  }

  long fingerprintHigh(int i) {
    return fingerprintHigh[i];
  }

  /** The previous checkpoint's entry for a chunk that is not zeros, or null if it had none. */
  ChunkRef knownRef(int i) {
    return knownRefs[i];
  }

  /** For a chunk with a {@link #knownRef}: how many checkpoints have reused its stored copy unread. */
  int knownUnchecked(int i) {
    return knownUnchecked[i];
  }
}
