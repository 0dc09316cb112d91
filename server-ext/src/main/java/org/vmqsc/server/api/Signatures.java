package org.vmqsc.server.api;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * CloudStack's request signature, byte for byte as its ApiServer checks it: every parameter but {@code signature},
 * sorted by name as sent, each {@code name=value} with the value URL-encoded by Java's URLEncoder ('+' then written
 * {@code %20}), joined by '&', the whole string lower-cased, HMAC-SHA1 with the secret key, Base64. The client and
 * the server share this class so they cannot drift apart.
 */
public final class Signatures {

  private Signatures() {}

  /** The string that is signed. Names are kept as sent for sorting (as CloudStack does), then all lower-cased. */
  public static String canonical(Map<String, String> params) {
    StringBuilder out = new StringBuilder();
    for (Map.Entry<String, String> e : new TreeMap<>(params).entrySet()) {
      if (e.getKey().equalsIgnoreCase("signature")) continue;
      if (out.length() > 0) out.append('&');
      out.append(e.getKey()).append('=').append(encode(e.getValue()));
    }
    return out.toString().toLowerCase(Locale.ROOT);
  }

  public static String sign(Map<String, String> params, String secretKey) {
    try {
      Mac mac = Mac.getInstance("HmacSHA1");
      mac.init(new SecretKeySpec(secretKey.getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
      byte[] digest = mac.doFinal(canonical(params).getBytes(StandardCharsets.UTF_8));
      return Base64.getEncoder().encodeToString(digest);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA1 is part of every JDK", e);
    }
  }

  /** URL encoding as CloudStack signs it: a space is %20, not '+'. */
  public static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
