package org.vmqsc.agent.store;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Names of chunks a checkpoint stores in the host's staging store without SHA-256-hashing them: the chunk's
 * fingerprint, in a namespace of its VM's own. 32 bytes, like a SHA-256 name, so packs, the store's index, the
 * {@link ChunkGuard} and the collectors handle them as they handle any name:
 *
 * <pre>
 * "stg\0"                                              4 bytes
 * SHA-256("vmqsc staging key\0" + vmId), first 12 bytes   the VM's tag
 * the chunk's XXH3-128 fingerprint                        16 bytes
 * </pre>
 *
 * <p>What a name is, a staging key or a SHA-256, is told by its manifest entry ({@link ChunkRef#staged()}), never
 * guessed from its bytes. A staging key cannot stand for another VM's chunk: the VM's tag is not the guest's to
 * choose, so two VMs' keys differ even where a guest crafted a fingerprint collision with another VM's memory; and
 * it cannot equal a SHA-256 name, since a guest would need bytes whose SHA-256 begins with the marker and a VM's tag
 * (a 128-bit preimage). Staging keys never leave the staging store: the flush names every chunk by SHA-256 on stable
 * storage.
 */
public final class StagingKeys {

  /** The first 4 bytes of every staging key, as hex ("stg" and a zero byte). */
  public static final String MARKER = "73746700";
  private static final byte[] DOMAIN = "vmqsc staging key\0".getBytes(StandardCharsets.US_ASCII);
  private static final int TAG_BYTES = 12;
  private static final int PREFIX_DIGITS = MARKER.length() + 2 * TAG_BYTES;  // 32: the fingerprint's 32 follow

  /**
   * Whether checkpoints name new chunks by staging key: on unless the system property {@code vmqsc.stagingKeys} is
   * {@code false} (then every new chunk is SHA-256-hashed while the checkpoint is taken, as before).
   */
  public static boolean enabled() {
    return !"false".equalsIgnoreCase(System.getProperty("vmqsc.stagingKeys", "true"));
  }

  private StagingKeys() {}

  /** The first 32 hex digits of every staging key of this VM; its chunks' fingerprints complete them. */
  public static String prefix(String vmId) {
    MessageDigest sha256;
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
    sha256.update(DOMAIN);
    byte[] tag = sha256.digest(vmId.getBytes(StandardCharsets.UTF_8));
    return MARKER + HexFormat.of().formatHex(tag, 0, TAG_BYTES);
  }

  /** The staging key of a chunk of the VM whose {@link #prefix} is given, with this fingerprint (32 hex digits). */
  public static String key(String prefix, String fingerprint) {
    return prefix.concat(fingerprint);
  }

  /**
   * Whether {@code name} equals {@link #key} of this prefix and the fingerprint whose halves are {@code low} and
   * {@code high} (as 32 lower-case hex digits: the low half first, each big-endian), without making that key: the
   * engine asks once per reused chunk.
   */
  public static boolean isKey(String name, String prefix, long low, long high) {
    return name.length() == PREFIX_DIGITS + 32 && name.startsWith(prefix) && prefix.length() == PREFIX_DIGITS
        && digitsOf(name, PREFIX_DIGITS, low) && digitsOf(name, PREFIX_DIGITS + 16, high);
  }

  private static boolean digitsOf(String name, int at, long half) {
    for (int i = 0; i < 16; i++) {
      if (name.charAt(at + i) != HEX_DIGITS.charAt((int) (half >>> (60 - 4 * i)) & 0xf)) {
        return false;
      }
    }
    return true;
  }

  private static final String HEX_DIGITS = "0123456789abcdef";
}
