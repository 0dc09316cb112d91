package org.vmqsc.server.api;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.vmqsc.server.api.ApiFixture.assertError;
import static org.vmqsc.server.api.ApiFixture.assertOk;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;

/**
 * Bad input to every command (missing, malformed, out of range, unknown ids): CloudStack's 431 with
 * InvalidParameterValueException's code, no stack trace, and nothing changed, as the lists show.
 */
public class ApiBadInputTest {

  @Rule public final ApiFixture api = new ApiFixture();

  private String group;

  @Before
  public void aGroupWithAVm() throws Exception {
    group = api.createGroup("g");
    assertOk(api.client.get("addVmToProtectionGroup", "id", group, "virtualmachineid", "vm-1", "hostid", "h1"));
  }

  @Test
  public void everyCommandRefusesBadParametersWith431AndChangesNothing() throws Exception {
    String longName = "x".repeat(300);
    List<String[]> calls = new ArrayList<>();
    // createProtectionGroup
    calls.add(new String[] {"createProtectionGroup", "baseperiod", "1000"});
    calls.add(new String[] {"createProtectionGroup", "name", "n"});
    calls.add(new String[] {"createProtectionGroup", "name", "n", "baseperiod", ""});
    calls.add(new String[] {"createProtectionGroup", "name", "n", "baseperiod", "abc"});
    calls.add(new String[] {"createProtectionGroup", "name", "n", "baseperiod", "1.5"});
    calls.add(new String[] {"createProtectionGroup", "name", "n", "baseperiod", "0"});
    calls.add(new String[] {"createProtectionGroup", "name", "n", "baseperiod", "-1000"});
    calls.add(new String[] {"createProtectionGroup", "name", "n", "baseperiod", "99999999999999999999"});
    calls.add(new String[] {"createProtectionGroup", "name", "n", "baseperiod", "604800001"});
    calls.add(new String[] {"createProtectionGroup", "name", "n", "baseperiod", "1000", "recoverypolicy", "later"});
    calls.add(new String[] {"createProtectionGroup", "name", "n", "baseperiod", "1000", "earlyindexpolicy", "x"});
    calls.add(new String[] {"createProtectionGroup", "name", longName, "baseperiod", "1000"});
    calls.add(new String[] {"createProtectionGroup", "name", "   ", "baseperiod", "1000"});
    // listProtectionGroups
    calls.add(new String[] {"listProtectionGroups", "id", "no-such-group"});
    calls.add(new String[] {"listProtectionGroups", "page", "0"});
    calls.add(new String[] {"listProtectionGroups", "page", "one"});
    calls.add(new String[] {"listProtectionGroups", "pagesize", "0"});
    calls.add(new String[] {"listProtectionGroups", "pagesize", "-1"});
    calls.add(new String[] {"listProtectionGroups", "pagesize", "1001"});
    calls.add(new String[] {"listProtectionGroups", "page", "2147483647", "pagesize", "1000"});
    // updateProtectionGroup
    calls.add(new String[] {"updateProtectionGroup", "name", "n"});
    calls.add(new String[] {"updateProtectionGroup", "id", "no-such-group", "name", "n"});
    calls.add(new String[] {"updateProtectionGroup", "id", group, "baseperiod", "soon"});
    calls.add(new String[] {"updateProtectionGroup", "id", group, "baseperiod", "0"});
    calls.add(new String[] {"updateProtectionGroup", "id", group, "recoverypolicy", "never"});
    calls.add(new String[] {"updateProtectionGroup", "id", group, "name", "  "});
    calls.add(new String[] {"updateProtectionGroup", "id", group, "name", "ok", "baseperiod", "-5"});
    // deleteProtectionGroup
    calls.add(new String[] {"deleteProtectionGroup"});
    calls.add(new String[] {"deleteProtectionGroup", "id", "no-such-group"});
    // addVmToProtectionGroup
    calls.add(new String[] {"addVmToProtectionGroup", "virtualmachineid", "vm-2"});
    calls.add(new String[] {"addVmToProtectionGroup", "id", group});
    calls.add(new String[] {"addVmToProtectionGroup", "id", "no-such-group", "virtualmachineid", "vm-2"});
    calls.add(new String[] {"addVmToProtectionGroup", "id", group, "virtualmachineid", "vm-2", "vmclass", "MI_1"});
    calls.add(new String[] {"addVmToProtectionGroup", "id", group, "virtualmachineid", "vm-2", "vmclass", "XL"});
    calls.add(new String[] {"addVmToProtectionGroup", "id", group, "virtualmachineid", "vm-1"});
    calls.add(new String[] {"addVmToProtectionGroup", "id", group, "virtualmachineid", longName});
    // removeVmFromProtectionGroup
    calls.add(new String[] {"removeVmFromProtectionGroup", "virtualmachineid", "vm-1"});
    calls.add(new String[] {"removeVmFromProtectionGroup", "id", group});
    calls.add(new String[] {"removeVmFromProtectionGroup", "id", group, "virtualmachineid", "vm-9"});
    calls.add(new String[] {"removeVmFromProtectionGroup", "id", "no-such-group", "virtualmachineid", "vm-1"});
    // updateVmInProtectionGroup
    calls.add(new String[] {"updateVmInProtectionGroup", "id", group, "virtualmachineid", "vm-1"});
    calls.add(new String[] {"updateVmInProtectionGroup", "id", group, "vmclass", "SI"});
    calls.add(new String[] {"updateVmInProtectionGroup", "virtualmachineid", "vm-1", "vmclass", "SI"});
    calls.add(new String[] {"updateVmInProtectionGroup", "id", group, "virtualmachineid", "vm-1", "vmclass", "MI_1"});
    calls.add(new String[] {"updateVmInProtectionGroup", "id", group, "virtualmachineid", "vm-1", "vmclass", "XL"});
    for (String bad : BAD_PHASED_CLASSES) {
      calls.add(new String[] {"addVmToProtectionGroup", "id", group, "virtualmachineid", "vm-2", "vmclass", bad});
      calls.add(new String[] {"updateVmInProtectionGroup", "id", group, "virtualmachineid", "vm-1", "vmclass", bad});
    }
    calls.add(new String[] {"updateVmInProtectionGroup", "id", group, "virtualmachineid", "vm-9", "vmclass", "SI"});
    calls.add(new String[] {"updateVmInProtectionGroup", "id", "no-such-group", "virtualmachineid", "vm-1",
        "vmclass", "SI"});
    // listVmClassAdvice
    calls.add(new String[] {"listVmClassAdvice"});
    calls.add(new String[] {"listVmClassAdvice", "protectiongroupid", "no-such-group"});
    calls.add(new String[] {"listVmClassAdvice", "protectiongroupid", group, "maxk", "1"});
    calls.add(new String[] {"listVmClassAdvice", "protectiongroupid", group, "maxk", "65"});
    calls.add(new String[] {"listVmClassAdvice", "protectiongroupid", group, "maxk", "four"});
    // listVmCheckpoints
    calls.add(new String[] {"listVmCheckpoints"});
    calls.add(new String[] {"listVmCheckpoints", "protectiongroupid", "no-such-group"});
    calls.add(new String[] {"listVmCheckpoints", "protectiongroupid", group, "includeremoved", "maybe"});
    calls.add(new String[] {"listVmCheckpoints", "protectiongroupid", group, "virtualmachineid", "vm-9"});
    calls.add(new String[] {"listVmCheckpoints", "protectiongroupid", group, "page", "x"});
    // listLogSegments
    calls.add(new String[] {"listLogSegments"});
    calls.add(new String[] {"listLogSegments", "protectiongroupid", "no-such-group"});
    calls.add(new String[] {"listLogSegments", "protectiongroupid", group, "includeremoved", "yes"});
    calls.add(new String[] {"listLogSegments", "protectiongroupid", group, "pagesize", "1001"});
    // listRecoveryLines
    calls.add(new String[] {"listRecoveryLines"});
    calls.add(new String[] {"listRecoveryLines", "protectiongroupid", "no-such-group"});
    calls.add(new String[] {"listRecoveryLines", "protectiongroupid", group, "pagesize", "0"});
    // enableProtectionGroup
    calls.add(new String[] {"enableProtectionGroup"});
    calls.add(new String[] {"enableProtectionGroup", "id", "no-such-group"});
    calls.add(new String[] {"enableProtectionGroup", "id", ""});
    // migrateVirtualMachine
    calls.add(new String[] {"migrateVirtualMachine"});
    calls.add(new String[] {"migrateVirtualMachine", "virtualmachineid", "vm-1"});
    calls.add(new String[] {"migrateVirtualMachine", "hostid", "h2"});
    calls.add(new String[] {"migrateVirtualMachine", "virtualmachineid", "no-such-vm", "hostid", "h2"});
    // recoverProtectionGroup
    calls.add(new String[] {"recoverProtectionGroup"});
    calls.add(new String[] {"recoverProtectionGroup", "id", "no-such-group"});
    // listRecoveryEvents
    calls.add(new String[] {"listRecoveryEvents"});
    calls.add(new String[] {"listRecoveryEvents", "protectiongroupid", "no-such-group"});
    calls.add(new String[] {"listRecoveryEvents", "protectiongroupid", group, "page", "-3"});
    // listHosts
    calls.add(new String[] {"listHosts", "id", "no-such-host"});
    calls.add(new String[] {"listHosts", "page", "-1"});
    // queryAsyncJobResult
    calls.add(new String[] {"queryAsyncJobResult"});
    calls.add(new String[] {"queryAsyncJobResult", "jobid", "no-such-job"});

    String before = api.snapshot();
    for (String[] call : calls) {
      String[] params = java.util.Arrays.copyOfRange(call, 1, call.length);
      ApiClient.Reply r = api.client.get(call[0], params);
      assertError(r, call[0].toLowerCase(Locale.ROOT) + "response", 431, 4350);
      assertEquals(String.join(" ", call), before, api.snapshot());
    }
    assertEquals("a refused recoverProtectionGroup started no job", 0, api.recoveries.get());
    assertEquals("a refused enableProtectionGroup started nothing", 0, api.enables.get());
    assertEquals("a refused migrateVirtualMachine moved nothing", 0, api.migrations.get());
  }

  /** Phases out of 0..k-1, a phase on MI_1 or SI, a phase that is no number, a class too long for the catalog. */
  private static final List<String> BAD_PHASED_CLASSES =
      List.of("MI_4@4", "MI_4@-1", "MI_1@0", "SI@1", "MI_4@x", "MI_4@", "MI_99999999@9999999");

  @Test
  public void badPhasedClassesAreRefusedNamingTheParameterAndTheRule() throws Exception {
    java.util.Map<String, String> rule = new java.util.LinkedHashMap<>();
    rule.put("MI_4@4", "the phase of MI_4 must be in 0..3 (checkpoints at the base boundaries n with n mod 4 = phase)");
    rule.put("MI_4@-1", "the phase of MI_4 must be in 0..3");
    rule.put("MI_1@0", "MI_k needs k >= 2");
    rule.put("SI@1", "SI has no phase");
    rule.put("MI_4@x", "the phase of MI_4 must be a whole number in 0..3");
    rule.put("MI_4@", "the phase of MI_4 must be a whole number in 0..3");
    rule.put("MI_99999999@9999999", "at most 16 characters");
    assertEquals(new java.util.HashSet<>(BAD_PHASED_CLASSES), rule.keySet());
    for (var bad : rule.entrySet()) {
      for (String command : List.of("addVmToProtectionGroup", "updateVmInProtectionGroup")) {
        ApiClient.Reply r = api.client.get(command, "id", group, "virtualmachineid",
            command.startsWith("add") ? "vm-2" : "vm-1", "vmclass", bad.getKey());
        String text = assertError(r, command.toLowerCase(Locale.ROOT) + "response", 431, 4350)
            .get("errortext").getAsString();
        assertTrue(text, text.startsWith("vmclass: "));
        assertTrue(text, text.contains(bad.getValue()));
      }
    }
  }

  @Test
  public void anUnknownCommandIs432() throws Exception {
    assertError(api.client.get("deployVirtualMachine", "id", group), "deployvirtualmachineresponse", 432, 9999);
    assertError(api.client.raw("response=json"), "errorresponse", 401, 4290);
  }

  @Test
  public void missingCommandIs431OnceSigned() throws Exception {
    // Signed, but without a command: sign the query by hand without the client's command parameter.
    var params = new java.util.LinkedHashMap<String, String>();
    params.put("response", "json");
    params.put("apiKey", api.keys.apiKey());
    String query = "response=json&apiKey=" + Signatures.encode(api.keys.apiKey()) + "&signature="
        + Signatures.encode(Signatures.sign(params, api.keys.secretKey()));
    assertError(api.client.raw(query), "errorresponse", 431, 4350);
  }

  @Test
  public void aMalformedFormBodyIs431() throws Exception {
    // java.net.URI refuses a bad escape in a query, so the malformed request comes as a form body.
    var response = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest
        .newBuilder(api.server.endpoint()).header("Content-Type", "application/x-www-form-urlencoded")
        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("command=listHosts&name=%zz")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    ApiClient.Reply r = new ApiClient.Reply(response.statusCode(),
        com.google.gson.JsonParser.parseString(response.body()).getAsJsonObject());
    assertError(r, "errorresponse", 431, 4350);
  }
}
