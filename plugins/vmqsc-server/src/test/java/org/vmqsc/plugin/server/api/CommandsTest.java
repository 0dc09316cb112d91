package org.vmqsc.plugin.server.api;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import com.cloud.event.ActionEvent;
import com.cloud.exception.PermissionDeniedException;
import com.cloud.host.Host;
import com.cloud.user.Account;
import com.cloud.user.AccountService;
import com.cloud.utils.db.EntityManager;
import com.cloud.vm.VirtualMachine;
import com.google.gson.JsonObject;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.cloudstack.acl.RoleType;
import org.apache.cloudstack.api.APICommand;
import org.apache.cloudstack.api.ApiErrorCode;
import org.apache.cloudstack.api.BaseAsyncCmd;
import org.apache.cloudstack.api.BaseCmd;
import org.apache.cloudstack.api.BaseListCmd;
import org.apache.cloudstack.api.ServerApiException;
import org.junit.Before;
import org.junit.Test;
import org.vmqsc.plugin.server.api.command.AddVmToProtectionGroupCmd;
import org.vmqsc.plugin.server.api.command.CreateProtectionGroupCmd;
import org.vmqsc.plugin.server.api.command.DeleteProtectionGroupCmd;
import org.vmqsc.plugin.server.api.command.EnableProtectionGroupCmd;
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
import org.vmqsc.server.api.Cluster;
import org.vmqsc.server.service.Views.GroupView;
import org.vmqsc.server.service.Views.MemberView;
import org.vmqsc.server.service.Views.RecoveryEventView;
import org.vmqsc.server.service.ProtectionService;
import org.vmqsc.server.service.memory.InMemoryProtectionService;

/** The API commands: their CloudStack annotations and events, parameter checks, answers and who may call them. */
public class CommandsTest {

  private static final List<Class<? extends BaseCmd>> ALL = List.of(CreateProtectionGroupCmd.class,
      ListProtectionGroupsCmd.class, UpdateProtectionGroupCmd.class, DeleteProtectionGroupCmd.class,
      AddVmToProtectionGroupCmd.class, RemoveVmFromProtectionGroupCmd.class, EnableProtectionGroupCmd.class,
      ListVmCheckpointsCmd.class, ListRecoveryLinesCmd.class, RecoverProtectionGroupCmd.class,
      ListRecoveryEventsCmd.class, UpdateVmInProtectionGroupCmd.class, ListVmClassAdviceCmd.class,
      ListLogSegmentsCmd.class);

  private final InMemoryProtectionService service = new InMemoryProtectionService();
  private final AccountService accounts = mock(AccountService.class);
  private final EntityManager entities = mock(EntityManager.class);
  private final Account caller = mock(Account.class);
  private final AtomicBoolean domainAdminsAllowed = new AtomicBoolean();
  private CloudStackApi api;

  @Before
  public void setUp() {
    when(caller.getId()).thenReturn(7L);
    when(caller.getDomainId()).thenReturn(3L);
    when(accounts.isRootAdmin(7L)).thenReturn(true);
    vm(1L, "vm-one", false);
    vm(2L, "vm-two", false);
    vm(3L, "vm-ha", true);
    Host host = mock(Host.class);
    when(host.getUuid()).thenReturn("host-one");
    when(entities.findById(Host.class, 10L)).thenReturn(host);
    api = new CloudStackApi(new ProtectionGroupApi(service, clusterThatOnlyDeletes(service), accounts, entities, () -> caller,
        domain -> domainAdminsAllowed.get()));
  }

  @Test
  public void everyCommandIsDeclaredAsCloudStackExpectsIt() {
    Set<String> names = new HashSet<>();
    for (Class<? extends BaseCmd> type : ALL) {
      APICommand a = type.getAnnotation(APICommand.class);
      assertNotNull(type + " has no @APICommand", a);
      assertTrue(names.add(a.name()));
      assertFalse(a.description().isBlank());
      assertEquals("4.22.0", a.since());
      assertEquals(List.of(RoleType.Admin, RoleType.DomainAdmin), List.of(a.authorized()));
      assertEquals(a.name().startsWith("list"), BaseListCmd.class.isAssignableFrom(type));
    }
    assertEquals(Set.of("createProtectionGroup", "listProtectionGroups", "updateProtectionGroup",
        "deleteProtectionGroup", "addVmToProtectionGroup", "removeVmFromProtectionGroup", "enableProtectionGroup",
        "listVmCheckpoints", "listRecoveryLines", "recoverProtectionGroup", "listRecoveryEvents",
        "updateVmInProtectionGroup", "listVmClassAdvice", "listLogSegments"), names);
  }

  @Test
  public void createUpdateDeleteEnableAndRecoverAreAsyncJobsWithTheirEvents() throws Exception {
    Map<Class<? extends BaseAsyncCmd>, String> events = Map.of(CreateProtectionGroupCmd.class, "VMQSC.GROUP.CREATE",
        UpdateProtectionGroupCmd.class, "VMQSC.GROUP.UPDATE", DeleteProtectionGroupCmd.class, "VMQSC.GROUP.DELETE",
        EnableProtectionGroupCmd.class, "VMQSC.GROUP.ENABLE", RecoverProtectionGroupCmd.class, "VMQSC.RECOVERY");
    for (var e : events.entrySet()) {
      BaseAsyncCmd cmd = e.getKey().getDeclaredConstructor().newInstance();
      assertEquals(e.getValue(), cmd.getEventType());
      assertFalse(cmd.getEventDescription().isBlank());
    }
    long async = ALL.stream().filter(BaseAsyncCmd.class::isAssignableFrom).count();
    assertEquals(events.size(), async);
  }

  /**
   * CloudStack records a job's Scheduled event itself; its Started, Completed and Error events come from its
   * interceptor, which acts on bean methods annotated {@code @ActionEvent} (seen in a management server: without
   * them, listEvents showed only Scheduled).
   */
  @Test
  public void theApiMethodsBehindTheAsyncCommandsCarryTheirEvents() throws Exception {
    Map<String, String> events = Map.of("createGroup", "VMQSC.GROUP.CREATE", "updateGroup", "VMQSC.GROUP.UPDATE",
        "deleteGroup", "VMQSC.GROUP.DELETE", "enableGroup", "VMQSC.GROUP.ENABLE", "recover", "VMQSC.RECOVERY");
    Set<String> annotated = new HashSet<>();
    for (Method m : ProtectionGroupApi.class.getDeclaredMethods()) {
      ActionEvent event = m.getAnnotation(ActionEvent.class);
      if (event == null) continue;
      annotated.add(m.getName());
      assertEquals(m.getName(), events.get(m.getName()), event.eventType());
      assertTrue(m.getName() + " is behind an async command", event.async());
      assertTrue(Modifier.isPublic(m.getModifiers())); // the interceptor's proxy sees public methods
    }
    assertEquals(events.keySet(), annotated);
  }

  @Test
  public void createAnswersTheGroupAndTakesTheDefaultPeriodFromTheSetting() throws Exception {
    JsonObject g = api.answer(CreateProtectionGroupCmd.class, "name", "web").getAsJsonObject("protectiongroup");
    assertEquals("web", g.get("name").getAsString());
    assertEquals(60000, g.get("baseperiod").getAsLong()); // vmqsc.default.base.period
    assertEquals("AUTOMATIC", g.get("recoverypolicy").getAsString());
    assertEquals("Disabled", g.get("state").getAsString());
    assertEquals(0, g.get("vmcount").getAsInt());
    assertFalse(g.has("lineindex"));
    assertFalse(g.has("jobid"));
  }

  @Test
  public void badParametersAreParamErrorsAndChangeNothing() throws Exception {
    String group = group();
    assertParamError(() -> api.execute(CreateProtectionGroupCmd.class, "name", " "));
    assertParamError(() -> api.execute(CreateProtectionGroupCmd.class, "name", "x", "baseperiod", 604800001L));
    assertParamError(() -> api.execute(CreateProtectionGroupCmd.class, "name", "x", "earlyindexpolicy", "never"));
    assertParamError(() -> api.execute(UpdateProtectionGroupCmd.class, "id", "not-a-uuid"));
    assertParamError(() -> api.execute(UpdateProtectionGroupCmd.class, "id", group, "baseperiod", -5L));
    assertParamError(() -> api.execute(AddVmToProtectionGroupCmd.class, "id", group, "virtualmachineid", 99L));
    assertParamError(() -> api.execute(AddVmToProtectionGroupCmd.class, "id", group, "virtualmachineid", 1L,
        "vmclass", "MI_1"));
    assertParamError(() -> api.execute(ListProtectionGroupsCmd.class, "pagesize", 5000L));
    assertParamError(() -> api.execute(UpdateVmInProtectionGroupCmd.class, "id", group, "virtualmachineid", 99L,
        "vmclass", "SI"));
    assertParamError(() -> api.execute(UpdateVmInProtectionGroupCmd.class, "id", group, "virtualmachineid", 1L,
        "vmclass", "MI_1"));
    assertParamError(() -> api.execute(UpdateVmInProtectionGroupCmd.class, "id", group, "virtualmachineid", 1L));
    assertParamError(() -> api.execute(ListVmClassAdviceCmd.class, "protectiongroupid", group, "maxk", 1));
    assertParamError(() -> api.execute(ListVmClassAdviceCmd.class, "protectiongroupid", group, "maxk", 65));
    assertParamError(() -> api.execute(ListVmCheckpointsCmd.class, "protectiongroupid", group,
        "virtualmachineid", 2L));
    assertEquals(1, service.listGroups(org.vmqsc.server.service.PageRequest.first(10)).total());
    assertTrue(service.members(group).isEmpty());
  }

  @Test
  public void phasedClassesAreTakenAndBadOnesAreParamErrorsNamingVmclassAndTheRule() throws Exception {
    String group = group();
    JsonObject vm = api.answer(AddVmToProtectionGroupCmd.class, "id", group, "virtualmachineid", 1L,
        "vmclass", "mi_4@2").getAsJsonObject("protectiongroup").getAsJsonArray("vm").get(0).getAsJsonObject();
    assertEquals("MI_4@2", vm.get("vmclass").getAsString());
    java.util.Map<String, String> rule = java.util.Map.of(
        "MI_4@4", "the phase of MI_4 must be in 0..3 (checkpoints at the base boundaries n with n mod 4 = phase)",
        "MI_4@-1", "the phase of MI_4 must be in 0..3",
        "MI_1@0", "MI_k needs k >= 2",
        "SI@1", "SI has no phase",
        "MI_4@x", "the phase of MI_4 must be a whole number in 0..3");
    for (var bad : rule.entrySet()) {
      for (ServerApiException e : List.of(
          assertThrows(ServerApiException.class, () -> api.execute(AddVmToProtectionGroupCmd.class, "id", group,
              "virtualmachineid", 2L, "vmclass", bad.getKey())),
          assertThrows(ServerApiException.class, () -> api.execute(UpdateVmInProtectionGroupCmd.class, "id", group,
              "virtualmachineid", 1L, "vmclass", bad.getKey())))) {
        assertEquals(e.getMessage(), ApiErrorCode.PARAM_ERROR, e.getErrorCode());
        assertTrue(e.getMessage(), e.getMessage().contains("vmclass: "));
        assertTrue(e.getMessage(), e.getMessage().contains(bad.getValue()));
      }
    }
    JsonObject changed = api.answer(UpdateVmInProtectionGroupCmd.class, "id", group, "virtualmachineid", 1L,
        "vmclass", "MI_3@1").getAsJsonObject("protectiongroup").getAsJsonArray("vm").get(0).getAsJsonObject();
    assertEquals("MI_3@1", changed.get("vmclass").getAsString());
    assertEquals(List.of("MI_3@1"), service.members(group).stream().map(m -> m.vmClass()).toList());
  }

  @Test
  public void aVmWithCloudStackHaIsRefused() throws Exception {
    String group = group();
    ServerApiException e = assertThrows(ServerApiException.class,
        () -> api.execute(AddVmToProtectionGroupCmd.class, "id", group, "virtualmachineid", 3L));
    assertEquals(ApiErrorCode.PARAM_ERROR, e.getErrorCode());
    assertTrue(e.getMessage(), e.getMessage().contains("HA"));
    assertTrue(service.members(group).isEmpty());
  }

  @Test
  public void aVmJoinsOnTheHostCloudStackRunsItOnWithTheDefaultClass() throws Exception {
    String group = group();
    JsonObject vm = api.answer(AddVmToProtectionGroupCmd.class, "id", group, "virtualmachineid", 1L)
        .getAsJsonObject("protectiongroup").getAsJsonArray("vm").get(0).getAsJsonObject();
    assertEquals("vm-one", vm.get("virtualmachineid").getAsString());
    assertEquals("host-one", vm.get("hostid").getAsString());
    assertEquals("SI", vm.get("vmclass").getAsString());
  }

  @Test
  public void usersAndDomainAdminsWithoutTheSettingAreRefused() throws Exception {
    String group = group();
    when(accounts.isRootAdmin(7L)).thenReturn(false);
    assertThrows(PermissionDeniedException.class, () -> api.execute(ListProtectionGroupsCmd.class));
    when(accounts.isDomainAdmin(7L)).thenReturn(true);
    assertThrows(PermissionDeniedException.class, () -> api.execute(DeleteProtectionGroupCmd.class, "id", group));
    assertEquals(1, service.listGroups(org.vmqsc.server.service.PageRequest.first(10)).total());
  }

  @Test
  public void aDomainAdminSeesAndChangesOnlyGroupsOfItsOwnVms() throws Exception {
    String mine = group();
    String theirs = group();
    api.execute(AddVmToProtectionGroupCmd.class, "id", mine, "virtualmachineid", 1L);
    api.execute(AddVmToProtectionGroupCmd.class, "id", theirs, "virtualmachineid", 2L);
    when(accounts.isRootAdmin(7L)).thenReturn(false);
    when(accounts.isDomainAdmin(7L)).thenReturn(true);
    domainAdminsAllowed.set(true);
    VirtualMachine foreign = entities.findById(VirtualMachine.class, 2L);
    doThrow(new PermissionDeniedException("not yours")).when(accounts).checkAccess(eq(caller), any(), eq(false),
        eq(foreign));

    JsonObject listed = api.answer(ListProtectionGroupsCmd.class);
    assertEquals(1, listed.get("count").getAsInt());
    assertEquals(mine, listed.getAsJsonArray("protectiongroup").get(0).getAsJsonObject().get("id").getAsString());
    assertThrows(PermissionDeniedException.class, () -> api.execute(DeleteProtectionGroupCmd.class, "id", theirs));
    assertThrows(PermissionDeniedException.class,
        () -> api.execute(AddVmToProtectionGroupCmd.class, "id", mine, "virtualmachineid", 2L));
    api.execute(DeleteProtectionGroupCmd.class, "id", mine);
    assertEquals(1, service.listGroups(org.vmqsc.server.service.PageRequest.first(10)).total());
  }

  private String group() throws Exception {
    return api.answer(CreateProtectionGroupCmd.class, "name", "g", "baseperiod", 1000L)
        .getAsJsonObject("protectiongroup").get("id").getAsString();
  }

  private void vm(long id, String uuid, boolean ha) {
    VirtualMachine vm = mock(VirtualMachine.class);
    when(vm.getUuid()).thenReturn(uuid);
    when(vm.isHaEnabled()).thenReturn(ha);
    when(vm.getHostId()).thenReturn(10L);
    when(entities.findById(VirtualMachine.class, id)).thenReturn(vm);
    when(entities.findByUuid(VirtualMachine.class, uuid)).thenReturn(vm);
  }

  private static void assertParamError(org.junit.function.ThrowingRunnable call) {
    ServerApiException e = assertThrows(ServerApiException.class, call);
    assertEquals(e.getMessage(), ApiErrorCode.PARAM_ERROR, e.getErrorCode());
  }

  /** Deleting goes through the cluster (it stops the group on its hosts); nothing else here does. */
  private static Cluster clusterThatOnlyDeletes(ProtectionService service) {
    return new Cluster() {
      @Override public GroupView enable(String group) {
        throw new AssertionError("not called");
      }

      @Override public Optional<RecoveryEventView> recover(String group) {
        throw new AssertionError("not called");
      }

      @Override public MemberView migrate(String vm, String host) {
        throw new AssertionError("not called");
      }

      @Override public void delete(String group) {
        service.deleteGroup(group);  // no host runs it here
      }
    };
  }
}
