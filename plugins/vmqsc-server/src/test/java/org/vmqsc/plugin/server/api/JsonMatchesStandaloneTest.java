package org.vmqsc.plugin.server.api;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import com.cloud.host.Host;
import com.cloud.user.Account;
import com.cloud.user.AccountService;
import com.cloud.utils.db.EntityManager;
import com.cloud.vm.VirtualMachine;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.TimeZone;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.cloudstack.api.ApiErrorCode;
import org.apache.cloudstack.api.ServerApiException;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.vmqsc.plugin.server.api.command.AddVmToProtectionGroupCmd;
import org.vmqsc.plugin.server.api.command.CreateProtectionGroupCmd;
import org.vmqsc.plugin.server.api.command.DeleteProtectionGroupCmd;
import org.vmqsc.plugin.server.api.command.ListProtectionGroupsCmd;
import org.vmqsc.plugin.server.api.command.ListRecoveryEventsCmd;
import org.vmqsc.plugin.server.api.command.ListRecoveryLinesCmd;
import org.vmqsc.plugin.server.api.command.ListVmCheckpointsCmd;
import org.vmqsc.plugin.server.api.command.RecoverProtectionGroupCmd;
import org.vmqsc.plugin.server.api.command.RemoveVmFromProtectionGroupCmd;
import org.vmqsc.plugin.server.api.command.UpdateProtectionGroupCmd;
import org.vmqsc.plugin.server.api.command.UpdateVmInProtectionGroupCmd;
import org.vmqsc.plugin.server.api.command.ListVmClassAdviceCmd;
import org.vmqsc.plugin.server.api.command.ListLogSegmentsCmd;
import org.vmqsc.protocol.BoundaryKind;
import org.vmqsc.server.api.ApiClient;
import org.vmqsc.server.api.ApiKeys;
import org.vmqsc.server.api.ApiServer;
import org.vmqsc.server.api.Cluster;
import org.vmqsc.server.service.BoundaryReport;
import org.vmqsc.server.service.FailureKind;
import org.vmqsc.server.service.HostReport;
import org.vmqsc.server.service.RecoveryState;
import org.vmqsc.server.service.Views.GroupView;
import org.vmqsc.server.service.Views.MemberView;
import org.vmqsc.server.service.Views.RecoveryEventView;
import org.vmqsc.server.service.memory.InMemoryProtectionService;

/**
 * The same calls, in the same order, to the standalone manager's HTTP API and to the plugin's CloudStack commands,
 * each over its own twin of one in-memory service (same clock, same uuid sequence): every answer must be the
 * same JSON, field names, values and shapes. An async command's answer is its job's result in both.
 */
public class JsonMatchesStandaloneTest {

  private static final String VM_A = "6f1c2a4e-0000-4000-8000-00000000000a";
  private static final String VM_B = "6f1c2a4e-0000-4000-8000-00000000000b";
  private static final String HOST_1 = "6f1c2a4e-0000-4000-8000-0000000000f1";
  private static final Instant NOW = Instant.parse("2026-11-29T12:34:56Z");

  private final AtomicReference<Optional<RecoveryEventView>> nextRecovery = new AtomicReference<>(Optional.empty());
  private TimeZone zone;
  private Path home;
  private ApiServer standalone;
  private ApiClient client;
  private CloudStackApi plugin;
  private InMemoryProtectionService standaloneService;
  private InMemoryProtectionService pluginService;

  @Before
  public void start() throws Exception {
    zone = TimeZone.getDefault();
    TimeZone.setDefault(TimeZone.getTimeZone("UTC")); // CloudStack writes dates in the server's zone
    Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    standaloneService = new InMemoryProtectionService(clock, InMemoryProtectionService.counterIds(), "manager-1");
    pluginService = new InMemoryProtectionService(clock, InMemoryProtectionService.counterIds(), "manager-1");
    home = Files.createTempDirectory("vmqsc-plugin-json");
    ApiKeys keys = ApiKeys.loadOrCreate(home);
    standalone = new ApiServer(standaloneService, List::of, cluster(standaloneService), keys, 0).start();
    client = new ApiClient(standalone.endpoint(), keys);

    AccountService accounts = mock(AccountService.class);
    when(accounts.isRootAdmin(anyLong())).thenReturn(true);
    Account admin = mock(Account.class);
    when(admin.getId()).thenReturn(2L);
    EntityManager entities = mock(EntityManager.class);
    VirtualMachine a = vm(VM_A);
    VirtualMachine b = vm(VM_B);
    Host h1 = mock(Host.class);
    when(h1.getUuid()).thenReturn(HOST_1);
    when(entities.findById(VirtualMachine.class, 1L)).thenReturn(a);
    when(entities.findById(VirtualMachine.class, 2L)).thenReturn(b);
    when(entities.findById(Host.class, 10L)).thenReturn(h1);
    plugin = new CloudStackApi(new ProtectionGroupApi(pluginService, cluster(pluginService), accounts, entities,
        () -> admin));
  }

  @After
  public void stop() throws Exception {
    TimeZone.setDefault(zone);
    standalone.close();
    try (var files = Files.walk(home)) {
      for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
    }
  }

  @Test
  public void everyCommandAnswersAsTheStandaloneManager() throws Exception {
    JsonObject created = same("createProtectionGroup", CreateProtectionGroupCmd.class,
        new Object[] {"name", "web tier", "baseperiod", "60000", "recoverypolicy", "manual"},
        new Object[] {"name", "web tier", "baseperiod", 60000L, "recoverypolicy", "manual"});
    String group = created.getAsJsonObject("protectiongroup").get("id").getAsString();

    same("addVmToProtectionGroup", AddVmToProtectionGroupCmd.class,
        new Object[] {"id", group, "virtualmachineid", VM_A, "hostid", HOST_1},
        new Object[] {"id", group, "virtualmachineid", 1L, "hostid", 10L});
    JsonObject two = same("addVmToProtectionGroup", AddVmToProtectionGroupCmd.class,
        new Object[] {"id", group, "virtualmachineid", VM_B, "vmclass", "MI_2", "hostid", HOST_1},
        new Object[] {"id", group, "virtualmachineid", 2L, "vmclass", "MI_2", "hostid", 10L});
    assertEquals(2, two.getAsJsonObject("protectiongroup").get("vmcount").getAsInt());

    same("removeVmFromProtectionGroup", RemoveVmFromProtectionGroupCmd.class,
        new Object[] {"id", group, "virtualmachineid", VM_B}, new Object[] {"id", group, "virtualmachineid", 2L});
    same("addVmToProtectionGroup", AddVmToProtectionGroupCmd.class,
        new Object[] {"id", group, "virtualmachineid", VM_B, "vmclass", "MI_2", "hostid", HOST_1},
        new Object[] {"id", group, "virtualmachineid", 2L, "vmclass", "MI_2", "hostid", 10L});
    same("updateVmInProtectionGroup", UpdateVmInProtectionGroupCmd.class,
        new Object[] {"id", group, "virtualmachineid", VM_B, "vmclass", "mi_3"},
        new Object[] {"id", group, "virtualmachineid", 2L, "vmclass", "mi_3"});
    JsonObject phased = same("updateVmInProtectionGroup", UpdateVmInProtectionGroupCmd.class,
        new Object[] {"id", group, "virtualmachineid", VM_B, "vmclass", "MI_4@2"},
        new Object[] {"id", group, "virtualmachineid", 2L, "vmclass", "MI_4@2"});
    assertEquals("MI_4@2", phased.getAsJsonObject("protectiongroup").getAsJsonArray("vm").get(1).getAsJsonObject()
        .get("vmclass").getAsString());
    same("updateProtectionGroup", UpdateProtectionGroupCmd.class,
        new Object[] {"id", group, "name", "web", "recoverypolicy", "AUTOMATIC"},
        new Object[] {"id", group, "name", "web", "recoverypolicy", "AUTOMATIC"});

    for (InMemoryProtectionService s : List.of(standaloneService, pluginService)) {
      for (String vm : List.of(VM_A, VM_B)) {
        s.report(new HostReport(HOST_1, group, List.of(new BoundaryReport(vm, BoundaryKind.CHECKPOINT, 0, 0, false,
            true, 4096, "stable/" + vm + "/0", "sha256:" + vm, 0, 0, new long[2], new long[2])), List.of()));
      }
    }

    JsonObject advice = same("listVmClassAdvice", ListVmClassAdviceCmd.class,
        new Object[] {"protectiongroupid", group, "maxk", "3"}, new Object[] {"protectiongroupid", group, "maxk", 3});
    assertEquals(2, advice.get("count").getAsInt());
    for (InMemoryProtectionService s : List.of(standaloneService, pluginService)) {
      s.report(new HostReport(HOST_1, group, List.of(new BoundaryReport(VM_A, BoundaryKind.CHECKPOINT, 1, 0, false,
          true, 1024, "stable/" + VM_A + "/1", "sha256:" + VM_A + "1", 1, 0, new long[2], new long[2])), List.of()));
    }
    advice = same("listVmClassAdvice", ListVmClassAdviceCmd.class, new Object[] {"protectiongroupid", group},
        new Object[] {"protectiongroupid", group});
    assertEquals("MI_4", advice.getAsJsonArray("vmclassadvice").get(0).getAsJsonObject().get("proposedclass")
        .getAsString());

    JsonObject groups = same("listProtectionGroups", ListProtectionGroupsCmd.class, new Object[] {}, new Object[] {});
    assertEquals(0, groups.getAsJsonArray("protectiongroup").get(0).getAsJsonObject().get("lineindex").getAsLong());
    same("listProtectionGroups", ListProtectionGroupsCmd.class, new Object[] {"id", group}, new Object[] {"id", group});
    same("listProtectionGroups", ListProtectionGroupsCmd.class, new Object[] {"page", "2", "pagesize", "1"},
        new Object[] {"page", 2L, "pagesize", 1L});

    JsonObject checkpoints = same("listVmCheckpoints", ListVmCheckpointsCmd.class,
        new Object[] {"protectiongroupid", group}, new Object[] {"protectiongroupid", group});
    assertEquals(3, checkpoints.get("count").getAsInt()); // a and b at 0, a at 1
    same("listVmCheckpoints", ListVmCheckpointsCmd.class,
        new Object[] {"protectiongroupid", group, "virtualmachineid", VM_B, "includeremoved", "true"},
        new Object[] {"protectiongroupid", group, "virtualmachineid", 2L, "includeremoved", true});
    for (InMemoryProtectionService s : List.of(standaloneService, pluginService)) {
      s.report(new HostReport(HOST_1, group, List.of(new BoundaryReport(VM_B, BoundaryKind.LOG_SEGMENT, 1, 0, false,
          false, 300, "host:" + HOST_1, "sha256:log", 0, 0, new long[2], new long[2])), List.of()));
    }
    JsonObject segments = same("listLogSegments", ListLogSegmentsCmd.class,
        new Object[] {"protectiongroupid", group, "includeremoved", "true"},
        new Object[] {"protectiongroupid", group, "includeremoved", true});
    assertEquals(300, segments.getAsJsonArray("logsegment").get(0).getAsJsonObject().get("size").getAsLong());
    JsonObject lines = same("listRecoveryLines", ListRecoveryLinesCmd.class,
        new Object[] {"protectiongroupid", group}, new Object[] {"protectiongroupid", group});
    assertEquals(2, lines.getAsJsonArray("recoveryline").get(0).getAsJsonObject().getAsJsonArray("entry").size());
    assertEquals(new JsonObject(), same("listRecoveryEvents", ListRecoveryEventsCmd.class,
        new Object[] {"protectiongroupid", group}, new Object[] {"protectiongroupid", group}));

    sameJob("recoverProtectionGroup", RecoverProtectionGroupCmd.class, group); // nothing to recover
    nextRecovery.set(Optional.of(new RecoveryEventView("6f1c2a4e-0000-4000-8000-0000000000e1", group,
        FailureKind.HOST, HOST_1, 0L, List.of(VM_A, VM_B), 3, RecoveryState.SUCCEEDED, "rolled back 2 VMs",
        "manager-1", NOW, NOW.plusMillis(1500), 1500L)));
    JsonObject event = sameJob("recoverProtectionGroup", RecoverProtectionGroupCmd.class, group);
    assertEquals(2, event.getAsJsonObject("recoveryevent").getAsJsonArray("rolledback").size());

    JsonObject deleted = same("deleteProtectionGroup", DeleteProtectionGroupCmd.class, new Object[] {"id", group},
        new Object[] {"id", group});
    assertTrue(deleted.get("success").getAsBoolean());
    assertEquals(new JsonObject(), same("listProtectionGroups", ListProtectionGroupsCmd.class, new Object[] {},
        new Object[] {}));
  }

  @Test
  public void bothRefuseTheSameBadCallsWith431() throws Exception {
    String unknown = "6f1c2a4e-0000-4000-8000-0000000000dd";
    refusedByBoth("listRecoveryLines", ListRecoveryLinesCmd.class, new Object[] {"protectiongroupid", unknown},
        new Object[] {"protectiongroupid", unknown});
    refusedByBoth("createProtectionGroup", CreateProtectionGroupCmd.class,
        new Object[] {"name", "x", "baseperiod", "0"}, new Object[] {"name", "x", "baseperiod", 0L});
    refusedByBoth("createProtectionGroup", CreateProtectionGroupCmd.class,
        new Object[] {"name", "x", "baseperiod", "1000", "recoverypolicy", "sometimes"},
        new Object[] {"name", "x", "baseperiod", 1000L, "recoverypolicy", "sometimes"});
    String group = same("createProtectionGroup", CreateProtectionGroupCmd.class,
        new Object[] {"name", "g", "baseperiod", "1000"}, new Object[] {"name", "g", "baseperiod", 1000L})
        .getAsJsonObject("protectiongroup").get("id").getAsString();
    for (String bad : List.of("MI_4@4", "MI_4@-1", "MI_1@0", "SI@1", "MI_4@x")) {
      String text = refusedByBoth("addVmToProtectionGroup", AddVmToProtectionGroupCmd.class,
          new Object[] {"id", group, "virtualmachineid", VM_A, "vmclass", bad, "hostid", HOST_1},
          new Object[] {"id", group, "virtualmachineid", 1L, "vmclass", bad, "hostid", 10L});
      assertTrue(text, text.startsWith("vmclass: "));
    }
  }

  /** Both answer the call alike; returns the answer. */
  private JsonObject same(String command, Class<? extends org.apache.cloudstack.api.BaseCmd> type,
                          Object[] standaloneParams, Object[] pluginParams) throws Exception {
    ApiClient.Reply reply = client.get(command, strings(standaloneParams));
    assertEquals(command + ": " + reply.body(), 200, reply.status());
    JsonObject expected = reply.response(command);
    JsonObject actual = plugin.answer(type, pluginParams);
    assertEquals(command + " answers differ", expected, actual);
    return actual;
  }

  /** An async call: the standalone job's result equals the plugin command's response. */
  private JsonObject sameJob(String command, Class<? extends org.apache.cloudstack.api.BaseCmd> type, String group)
      throws Exception {
    String job = client.get(command, "id", group).response(command).get("jobid").getAsString();
    JsonElement expected = client.awaitJob(job, Duration.ofSeconds(10)).get("jobresult");
    JsonObject actual = plugin.answer(type, "id", group);
    assertEquals(command + " results differ", expected, actual);
    return actual;
  }

  /** Both refuse the call with 431; returns the plugin's text. */
  private String refusedByBoth(String command, Class<? extends org.apache.cloudstack.api.BaseCmd> type,
                               Object[] standaloneParams, Object[] pluginParams) throws Exception {
    assertEquals(431, client.get(command, strings(standaloneParams)).status());
    try {
      plugin.execute(type, pluginParams);
      fail(command + " was not refused by the plugin");
      return null;
    } catch (ServerApiException e) {
      assertEquals(ApiErrorCode.PARAM_ERROR, e.getErrorCode());
      return e.getMessage();
    }
  }

  private static String[] strings(Object[] params) {
    String[] out = new String[params.length];
    for (int i = 0; i < params.length; i++) out[i] = String.valueOf(params[i]);
    return out;
  }

  private static VirtualMachine vm(String uuid) {
    VirtualMachine vm = mock(VirtualMachine.class);
    when(vm.getUuid()).thenReturn(uuid);
    return vm;
  }

  private Cluster cluster(InMemoryProtectionService service) {
    return new Cluster() {
      @Override public GroupView enable(String group) {
        return service.startGroup(group, NOW.toEpochMilli());
      }

      @Override public Optional<RecoveryEventView> recover(String group) {
        return nextRecovery.get();
      }

      @Override public MemberView migrate(String vm, String host) {
        throw new UnsupportedOperationException();
      }

      @Override public void delete(String group) {
        service.deleteGroup(group);  // no host runs it here
      }
    };
  }
}
