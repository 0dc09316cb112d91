package org.vmqsc.server.api;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Map;

/**
 * Checks a request's apiKey and signature as CloudStack's ApiServer does, including its signature version 3
 * (a signed {@code expires} date after which the request is refused, so a captured URL cannot be replayed
 * forever). Every failure is the same 401 with the same text: a client learns nothing about which part failed.
 */
final class Authenticator {

  static final DateTimeFormatter EXPIRES = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ssZ");

  private final ApiKeys keys;
  private final Clock clock;

  Authenticator(ApiKeys keys, Clock clock) {
    this.keys = keys;
    this.clock = clock;
  }

  /** @param params every parameter of the request, names as sent, first value of each */
  void check(Map<String, String> params) {
    String apiKey = find(params, "apikey");
    String signature = find(params, "signature");
    if (apiKey == null || signature == null) throw ApiException.unauthorized();
    if (!constantTimeEquals(apiKey, keys.apiKey())) throw ApiException.unauthorized();
    if (!constantTimeEquals(signature, Signatures.sign(params, keys.secretKey()))) throw ApiException.unauthorized();
    if ("3".equals(find(params, "signatureversion"))) {
      String expires = find(params, "expires");
      if (expires == null) throw ApiException.unauthorized();
      try {
        if (!clock.instant().isBefore(ZonedDateTime.parse(expires, EXPIRES).toInstant())) {
          throw ApiException.unauthorized();
        }
      } catch (DateTimeParseException e) {
        throw ApiException.unauthorized();
      }
    }
  }

  private static String find(Map<String, String> params, String name) {
    for (Map.Entry<String, String> e : params.entrySet()) {
      if (e.getKey().equalsIgnoreCase(name)) return e.getValue();
    }
    return null;
  }

  private static boolean constantTimeEquals(String a, String b) {
    return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }
}
