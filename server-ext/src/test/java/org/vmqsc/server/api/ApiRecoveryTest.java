package org.vmqsc.server.api;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.vmqsc.server.api.ApiFixture.assertNoStackTrace;
import static org.vmqsc.server.api.ApiFixture.assertOk;

import com.google.gson.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.Rule;
import org.junit.Test;
import org.vmqsc.server.service.FailureKind;
import org.vmqsc.server.service.RecoveryState;
import org.vmqsc.server.service.ServiceException;
import org.vmqsc.server.service.Views.RecoveryEventView;

/** recoverProtectionGroup returns a job id at once; queryAsyncJobResult shows it pending, then done or failed. */
public class ApiRecoveryTest {

  @Rule public final ApiFixture api = new ApiFixture();

  @Test
  public void enableRunsAsAJobAndFreezesTheGroupsMembership() throws Exception {
    String group = api.createGroup("g");
    assertOk(api.client.get("addVmToProtectionGroup", "id", group, "virtualmachineid", "vm-1"));
    JsonObject before = api.client.get("listProtectionGroups", "id", group).response("listProtectionGroups")
        .getAsJsonArray("protectiongroup").get(0).getAsJsonObject();
    assertEquals("Disabled", before.get("state").getAsString());

    ApiClient.Reply submitted = api.client.post("enableProtectionGroup", "id", group);
    assertOk(submitted);
    JsonObject done = api.client.awaitJob(submitted.response("enableProtectionGroup").get("jobid").getAsString(),
        Duration.ofSeconds(10));
    assertEquals(1, done.get("jobstatus").getAsInt());
    JsonObject enabled = done.getAsJsonObject("jobresult").getAsJsonObject("protectiongroup");
    assertEquals("Enabled", enabled.get("state").getAsString());
    assertTrue(enabled.has("started"));

    ApiClient.Reply late = api.client.get("addVmToProtectionGroup", "id", group, "virtualmachineid", "vm-2");
    assertTrue(late.toString(), !late.ok());
    assertTrue(late.body().toString(), late.body().toString().contains("protection has started"));
  }

  @Test
  public void recoverRunsAsAJobAndItsResultIsTheRecoveryEvent() throws Exception {
    String group = api.createGroup("g");
    CountDownLatch release = new CountDownLatch(1);
    api.recoverer = g -> {
      await(release);
      Instant t = Instant.parse("2026-01-01T00:00:00Z");
      return Optional.of(new RecoveryEventView("ev-1", g, FailureKind.HOST, "host-2", 4L, List.of("vm-1"), 3,
          RecoveryState.SUCCEEDED, "ok", "manager-1", t, t.plusMillis(1500), 1500L));
    };
    ApiClient.Reply submitted = api.client.post("recoverProtectionGroup", "id", group);
    assertOk(submitted);
    String jobId = submitted.response("recoverProtectionGroup").get("jobid").getAsString();

    JsonObject pending = api.client.get("queryAsyncJobResult", "jobid", jobId).response("queryAsyncJobResult");
    assertEquals(0, pending.get("jobstatus").getAsInt());
    assertTrue(!pending.has("jobresult"));
    release.countDown();

    JsonObject done = api.client.awaitJob(jobId, Duration.ofSeconds(10));
    assertEquals(1, done.get("jobstatus").getAsInt());
    assertEquals(0, done.get("jobresultcode").getAsInt());
    JsonObject event = done.getAsJsonObject("jobresult").getAsJsonObject("recoveryevent");
    assertEquals("ev-1", event.get("id").getAsString());
    assertEquals(group, event.get("protectiongroupid").getAsString());
    assertEquals("HOST", event.get("failurekind").getAsString());
    assertEquals("host-2", event.get("failedid").getAsString());
    assertEquals("vm-1", event.getAsJsonArray("rolledback").get(0).getAsString());
    assertEquals(3, event.get("replayedmessages").getAsLong());
    assertEquals("SUCCEEDED", event.get("state").getAsString());
    assertEquals(1500, event.get("duration").getAsLong());
    assertEquals("2026-01-01T00:00:00+0000", event.get("started").getAsString());
  }

  @Test
  public void nothingToRecoverIsASuccessWithoutAnEvent() throws Exception {
    String group = api.createGroup("g");
    String jobId = api.client.get("recoverProtectionGroup", "id", group).response("recoverProtectionGroup")
        .get("jobid").getAsString();
    JsonObject done = api.client.awaitJob(jobId, Duration.ofSeconds(10));
    assertEquals(1, done.get("jobstatus").getAsInt());
    assertTrue(done.getAsJsonObject("jobresult").get("success").getAsBoolean());
  }

  @Test
  public void aRefusedRecoveryFailsTheJobWith431() throws Exception {
    String group = api.createGroup("g");
    api.recoverer = g -> {
      throw new ServiceException(ServiceException.Reason.WRONG_STATE, "group " + g + " has no recovery line yet");
    };
    JsonObject done = api.client.awaitJob(api.client.get("recoverProtectionGroup", "id", group)
        .response("recoverProtectionGroup").get("jobid").getAsString(), Duration.ofSeconds(10));
    assertEquals(2, done.get("jobstatus").getAsInt());
    assertEquals(431, done.get("jobresultcode").getAsInt());
    JsonObject error = done.getAsJsonObject("jobresult");
    assertEquals(431, error.get("errorcode").getAsInt());
    assertTrue(error.get("errortext").getAsString().contains("no recovery line"));
  }

  @Test
  public void aCrashingRecoveryFailsTheJobWith530AndNoStackTrace() throws Exception {
    String group = api.createGroup("g");
    api.recoverer = g -> {
      throw new IllegalStateException("host channel broke at org.vmqsc.Secret.java:12");
    };
    JsonObject done = api.client.awaitJob(api.client.get("recoverProtectionGroup", "id", group)
        .response("recoverProtectionGroup").get("jobid").getAsString(), Duration.ofSeconds(10));
    assertEquals(2, done.get("jobstatus").getAsInt());
    assertEquals(530, done.getAsJsonObject("jobresult").get("errorcode").getAsInt());
    assertEquals(4250, done.getAsJsonObject("jobresult").get("cserrorcode").getAsInt());
    assertNoStackTrace(done.toString());
    assertTrue(!done.toString().contains("Secret"));
  }

  private static void await(CountDownLatch latch) {
    try {
      if (!latch.await(10, TimeUnit.SECONDS)) throw new IllegalStateException("never released");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
