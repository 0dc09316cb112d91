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
    if (hash.length() != 64) {
      return false;
    }
    for (int i = 0; i < hash.length(); i++) {
      char c = hash.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return false;
      }
    }
    return true;
  }
}
