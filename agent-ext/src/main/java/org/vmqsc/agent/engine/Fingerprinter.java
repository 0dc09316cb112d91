package org.vmqsc.agent.engine;

import net.openhft.hashing.LongTupleHashFunction;

/**
 * A fast 128-bit fingerprint of a chunk's bytes, used only to recognise a chunk this VM already had in its previous
 * checkpoint without SHA-256-hashing it again. It names nothing and verifies nothing: chunks are still named and
 * checked by SHA-256. The production fingerprint is XXH3-128; tests substitute a colliding one to show what the
 * engine does when two different chunks share a fingerprint.
 */
public interface Fingerprinter {

  /** Writes the fingerprint of {@code bytes[offset, offset+length)} into {@code out[0]} and {@code out[1]}. */
  void fingerprint(byte[] bytes, int offset, int length, long[] out);

  /** XXH3-128 (zero-allocation-hashing), some ten times faster than SHA-256 here. */
  static Fingerprinter xxh3() {
    LongTupleHashFunction xxh3 = LongTupleHashFunction.xx128();
    return xxh3::hashBytes;
  }
}
