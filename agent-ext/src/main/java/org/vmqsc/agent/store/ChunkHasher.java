package org.vmqsc.agent.store;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 of chunk contents as lower-case hex: the chunk's name in every store. Not thread-safe; one per thread. */
public final class ChunkHasher {

  private static final HexFormat HEX = HexFormat.of();
  private final MessageDigest sha256;

  public ChunkHasher() {
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  public String hash(byte[] bytes, int offset, int length) {
    sha256.update(bytes, offset, length);
    return HEX.formatHex(sha256.digest());
  }

  public static boolean isValidHex(String hash) {
    return isLowerHex(hash, 64);
  }

  /**
   * True when {@code text} is {@code length} lower-case hex digits. A table lookup per character rather than range
   * tests: manifests hold millions of random hex digits, on which such branches mispredict.
   */
  public static boolean isLowerHex(String text, int length) {
    if (text.length() != length) {
      return false;
    }
    int bad = 0;
    for (int i = 0; i < length; i++) {
      char c = text.charAt(i);
      bad |= (c >>> 7) | NOT_HEX[c & 0x7f];
    }
    return bad == 0;
  }

  private static final byte[] NOT_HEX = new byte[128];

  static {
    java.util.Arrays.fill(NOT_HEX, (byte) 1);
    for (char c : "0123456789abcdef".toCharArray()) {
      NOT_HEX[c] = 0;
    }
  }
}
