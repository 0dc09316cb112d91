package org.vmqsc.server.api;

import static org.junit.Assert.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.Test;

/** The signature against one computed outside Java, by the README's shell recipe (sort, tr, openssl, base64). */
public class SignaturesTest {

  @Test
  public void matchesTheShellRecipe() {
    Map<String, String> params = new LinkedHashMap<>();
    params.put("command", "createProtectionGroup");
    params.put("name", "web tier");
    params.put("baseperiod", "60000");
    params.put("response", "json");
    params.put("apiKey", "test-api-key");
    assertEquals("apikey=test-api-key&baseperiod=60000&command=createprotectiongroup&name=web%20tier&response=json",
        Signatures.canonical(params));
    assertEquals("+uWjHb7AC3K3cwTmjR7lV+K+fN0=", Signatures.sign(params, "test-secret"));
    params.put("signature", "ignored");
    assertEquals("+uWjHb7AC3K3cwTmjR7lV+K+fN0=", Signatures.sign(params, "test-secret"));
  }

  @Test
  public void encodesAsCloudStackSigns() {
    assertEquals("a%20b%2Bc%26d%3De%2Ff", Signatures.encode("a b+c&d=e/f"));
  }
}
