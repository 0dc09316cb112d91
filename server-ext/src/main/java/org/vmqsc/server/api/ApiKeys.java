package org.vmqsc.server.api;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.EnumSet;
import java.util.Properties;
import java.util.Set;

/**
 * The manager's one API key pair (the admin's, as CloudStack's apikey/secretkey). Created at first start in the
 * manager's home directory, in a file only its owner can read (0600); a file anyone else can read is refused, since
 * its secret may have leaked.
 */
public record ApiKeys(String apiKey, String secretKey) {

  public static final String FILE_NAME = "api-keys.properties";
  static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

  public ApiKeys {
    if (apiKey == null || apiKey.isBlank() || secretKey == null || secretKey.isBlank()) {
      throw new IllegalArgumentException("an API key pair needs both keys");
    }
  }

  /** Loads the pair from {@code home}, creating it (and {@code home}) if there is none yet. */
  public static ApiKeys loadOrCreate(Path home) throws IOException {
    Path file = home.resolve(FILE_NAME);
    if (Files.exists(file)) return load(file);
    Files.createDirectories(home);
    ApiKeys keys = generate(new SecureRandom());
    // Written whole under a temporary name, then linked into place: a reader never sees half a file, and of two
    // managers starting at once on one home the second finds the first one's file and uses it.
    Path tmp = Files.createTempFile(home, ".api-keys", ".tmp", PosixFilePermissions.asFileAttribute(OWNER_ONLY));
    try {
      try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
        Properties p = new Properties();
        p.setProperty("apikey", keys.apiKey);
        p.setProperty("secretkey", keys.secretKey);
        p.store(w, "vmqsc manager API keys: keep this file readable by its owner only");
      }
      Files.createLink(file, tmp);
      return keys;
    } catch (FileAlreadyExistsException raced) {
      return load(file);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  static ApiKeys load(Path file) throws IOException {
    PosixFileAttributeView posix = Files.getFileAttributeView(file, PosixFileAttributeView.class);
    if (posix != null) {
      Set<PosixFilePermission> extra = EnumSet.copyOf(posix.readAttributes().permissions());
      extra.removeAll(OWNER_ONLY);
      if (!extra.isEmpty()) {
        throw new IOException(file + " is open to others (" + PosixFilePermissions.toString(
            posix.readAttributes().permissions()) + "): its secret key may have leaked; chmod 600 it, or delete it"
            + " to have new keys made");
      }
    }
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      p.load(r);
    }
    String apiKey = p.getProperty("apikey");
    String secretKey = p.getProperty("secretkey");
    if (apiKey == null || secretKey == null) throw new IOException(file + " lacks apikey or secretkey");
    return new ApiKeys(apiKey.trim(), secretKey.trim());
  }

  /** 64 random bytes each, URL-safe Base64 (86 characters), as long as CloudStack's keys. */
  static ApiKeys generate(SecureRandom random) {
    return new ApiKeys(randomKey(random), randomKey(random));
  }

  private static String randomKey(SecureRandom random) {
    byte[] bytes = new byte[64];
    random.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /**
   * The token the cluster's agents show the manager (and the manager them): derived from the secret key, so it is
   * kept with it, owner-only, and changes when the key pair does. An agent on the manager's machine, run by the
   * same user, reads it from the manager's key file.
   */
  public String agentToken() {
    try {
      javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
      mac.init(new javax.crypto.spec.SecretKeySpec(secretKey.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return java.util.HexFormat.of().formatHex(mac.doFinal("vmqsc agent token".getBytes(StandardCharsets.UTF_8)));
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
    }
  }

  /** Reads the key pair a manager keeps in its home (refused when the file is open to others). */
  public static ApiKeys loadFrom(Path home) throws IOException {
    return load(home.resolve(FILE_NAME));
  }

  @Override
  public String toString() {
    return "ApiKeys[apiKey=" + apiKey + ", secretKey=(hidden)]"; // never a secret in a log line
  }
}
