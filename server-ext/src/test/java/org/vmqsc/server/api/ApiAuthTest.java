package org.vmqsc.server.api;

import static org.junit.Assert.assertEquals;
import static org.vmqsc.server.api.ApiFixture.assertError;
import static org.vmqsc.server.api.ApiFixture.assertOk;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.Rule;
import org.junit.Test;

/** Requests without valid credentials get 401 and change nothing, whatever they ask. */
public class ApiAuthTest {

  @Rule public final ApiFixture api = new ApiFixture();

  private static final String[][] CHANGES = {
      {"createProtectionGroup", "name", "evil", "baseperiod", "1000"},
      {"deleteProtectionGroup", "id", "GROUP"},
      {"updateProtectionGroup", "id", "GROUP", "name", "evil"},
      {"addVmToProtectionGroup", "id", "GROUP", "virtualmachineid", "vm-evil"},
      {"removeVmFromProtectionGroup", "id", "GROUP", "virtualmachineid", "vm-1"},
      {"recoverProtectionGroup", "id", "GROUP"},
  };

  @Test
  public void noCredentialsWrongSignatureWrongKeyOrTamperingAre401AndChangeNothing() throws Exception {
    String group = api.createGroup("g");
    assertOk(api.client.get("addVmToProtectionGroup", "id", group, "virtualmachineid", "vm-1"));
    String before = api.snapshot();
    ApiClient stranger = new ApiClient(api.server.endpoint(), api.keys.apiKey(), "not-the-secret");
    ApiClient wrongKey = new ApiClient(api.server.endpoint(), "not-the-key", api.keys.secretKey());
    for (String[] change : CHANGES) {
      Map<String, String> params = new LinkedHashMap<>();
      for (int i = 1; i < change.length; i += 2) params.put(change[i], change[i + 1].replace("GROUP", group));
      String name = change[0].toLowerCase() + "response";
      StringBuilder unsigned = new StringBuilder("command=" + change[0] + "&response=json");
      params.forEach((k, v) -> unsigned.append('&').append(k).append('=').append(Signatures.encode(v)));

      assertError(api.client.raw(unsigned.toString()), name, 401, 4290);
      assertError(api.client.raw(unsigned + "&apiKey=" + Signatures.encode(api.keys.apiKey())), name, 401, 4290);
      assertError(api.client.raw(unsigned + "&apiKey=" + Signatures.encode(api.keys.apiKey())
          + "&signature=AAAAAAAAAAAAAAAAAAAAAAAAAAA%3D"), name, 401, 4290);
      String[] flat = params.entrySet().stream().flatMap(e -> java.util.stream.Stream.of(e.getKey(), e.getValue()))
          .toArray(String[]::new);
      assertError(stranger.get(change[0], flat), name, 401, 4290);
      assertError(wrongKey.get(change[0], flat), name, 401, 4290);
      // A valid signature, then one parameter changed after signing.
      String signed = api.client.signedQuery(change[0], params);
      assertError(api.client.raw(signed.replace("response=json", "response=json&extra=1")), name, 401, 4290);
      assertError(api.client.raw(signed.replace("command=" + change[0], "command=listHosts")), "listhostsresponse",
          401, 4290);
      assertEquals(change[0], before, api.snapshot());
    }
    assertEquals(0, api.recoveries.get());
  }

  @Test
  public void anExpiredSignatureVersion3Is401AndAValidOneWorks() throws Exception {
    String past = Authenticator.EXPIRES.format(Instant.now().minusSeconds(60).atOffset(ZoneOffset.UTC));
    String future = Authenticator.EXPIRES.format(Instant.now().plusSeconds(600).atOffset(ZoneOffset.UTC));
    assertError(api.client.get("listProtectionGroups", "signatureVersion", "3", "expires", past),
        "listprotectiongroupsresponse", 401, 4290);
    assertError(api.client.get("listProtectionGroups", "signatureVersion", "3"),
        "listprotectiongroupsresponse", 401, 4290);
    assertError(api.client.get("listProtectionGroups", "signatureVersion", "3", "expires", "tomorrow"),
        "listprotectiongroupsresponse", 401, 4290);
    assertOk(api.client.get("listProtectionGroups", "signatureVersion", "3", "expires", future));
  }

  @Test
  public void onlyTheApiPathAndGetOrPostAreServed() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    URI other = URI.create("http://127.0.0.1:" + api.server.port() + "/client/other?command=listHosts");
    HttpResponse<String> notFound = http.send(HttpRequest.newBuilder(other).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(404, notFound.statusCode());
    HttpResponse<String> delete = http.send(HttpRequest.newBuilder(api.server.endpoint()).DELETE().build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(405, delete.statusCode());
    ApiFixture.assertNoStackTrace(notFound.body() + delete.body());
  }
}
