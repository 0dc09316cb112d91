package org.vmqsc.plugin.server.api;

import com.cloud.event.ActionEvent;
import com.cloud.exception.PermissionDeniedException;
import com.cloud.host.Host;
import com.cloud.user.Account;
import com.cloud.user.AccountService;
import com.cloud.utils.db.EntityManager;
import com.cloud.vm.VirtualMachine;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.LongPredicate;
import java.util.function.Supplier;
import javax.inject.Inject;
import org.apache.cloudstack.api.ApiErrorCode;
import org.apache.cloudstack.api.BaseResponse;
import org.apache.cloudstack.api.ServerApiException;
import org.apache.cloudstack.api.response.ListResponse;
import org.apache.cloudstack.api.response.SuccessResponse;
import org.vmqsc.plugin.server.VmqscEventTypes;
import org.vmqsc.plugin.server.VmqscManager;
import org.vmqsc.plugin.server.VmqscSettings;
import org.vmqsc.plugin.server.api.response.ProtectionGroupResponse;
import org.vmqsc.protocol.EarlyIndexPolicy;
import org.vmqsc.server.api.Cluster;
import org.vmqsc.server.service.Page;
import org.vmqsc.server.service.PageRequest;
import org.vmqsc.server.service.ProtectionService;
import org.vmqsc.server.service.RecoveryPolicy;
import org.vmqsc.server.service.ServiceException;
import org.vmqsc.server.service.advice.TrafficAdvisor;
import org.vmqsc.server.service.Views.CheckpointView;
import org.vmqsc.server.service.Views.GroupView;
import org.vmqsc.server.service.Views.MemberView;

/**
 * What the API commands call: checks the caller, turns CloudStack's ids into the uuids the service names things
 * by, calls {@link ProtectionService} (or the hosts, through {@link Cluster}) and answers with response objects.
 * Every refusal is a {@link ServerApiException}: PARAM_ERROR (431) for bad or unknown parameters and anything the
 * service refuses, as the standalone manager answers them. The methods behind the async commands carry
 * {@link ActionEvent}: CloudStack's interceptor then records each one's Started, Completed or Error event next to
 * the Scheduled one its API server records for the job.
 */
public class ProtectionGroupApi {

  /** A T0 longer than a week is a unit mistake (seconds for milliseconds); the standalone API refuses it too. */
  public static final long MAX_BASE_PERIOD_MS = 7L * 24 * 3600 * 1000;

  @Inject private VmqscManager manager;
  @Inject private AccountService accounts;
  @Inject private EntityManager entities;
  private CallerSource callers = CallerSource.CALL_CONTEXT;
  /** vmqsc.domain.admins.enabled in a domain. */
  private LongPredicate domainAdminsAllowed = domain -> VmqscSettings.DOMAIN_ADMINS.valueIn(domain);
  private Supplier<ProtectionService> services;
  private Supplier<Cluster> clusters;

  /** For Spring: the service and the hosts come from the manager once it started. */
  public ProtectionGroupApi() {
    this.services = () -> manager.service();
    this.clusters = () -> manager.cluster();
  }

  public ProtectionGroupApi(ProtectionService service, Cluster cluster, AccountService accounts,
                            EntityManager entities, CallerSource callers) {
    this(service, cluster, accounts, entities, callers, domain -> VmqscSettings.DOMAIN_ADMINS.valueIn(domain));
  }

  public ProtectionGroupApi(ProtectionService service, Cluster cluster, AccountService accounts,
                            EntityManager entities, CallerSource callers, LongPredicate domainAdminsAllowed) {
    this.domainAdminsAllowed = domainAdminsAllowed;
    this.services = () -> service;
    this.clusters = () -> cluster;
    this.accounts = accounts;
    this.entities = entities;
    this.callers = callers;
  }

  // ---- groups ------------------------------------------------------------------------------------------------

  @ActionEvent(eventType = VmqscEventTypes.GROUP_CREATE, eventDescription = "creating protection group", async = true)
  public ProtectionGroupResponse createGroup(String name, Long basePeriodMs, String recoveryPolicy,
                                             String earlyIndexPolicy) {
    callerMayUsePlugin();
    require("name", name);
    long t0 = basePeriodMs != null ? basePeriodMs : VmqscSettings.DEFAULT_BASE_PERIOD_MS.value();
    checkRange("baseperiod", t0, 1, MAX_BASE_PERIOD_MS);
    RecoveryPolicy policy = parseEnum("recoverypolicy", recoveryPolicy, RecoveryPolicy.class);
    EarlyIndexPolicy early = parseEnum("earlyindexpolicy", earlyIndexPolicy, EarlyIndexPolicy.class);
    return call(() -> groupResponse(service().createGroup(name, t0, policy, early)));
  }

  public ListResponse<ProtectionGroupResponse> listGroups(String groupId, PageRequest page) {
    Account caller = callerMayUsePlugin();
    if (groupId != null) {
      GroupView g = call(() -> service().group(checkUuid("id", groupId)));
      checkGroupAccess(caller, g.uuid());
      return list(page.offset() == 0 ? List.of(groupResponse(g)) : List.of(), 1);
    }
    if (isRootAdmin(caller)) return list(call(() -> service().listGroups(page)), this::groupResponse);
    // A domain admin sees the groups whose VMs are all theirs: filter first, then page.
    List<GroupView> visible = allGroups().stream().filter(g -> mayAccess(caller, g.uuid())).toList();
    return pageOf(visible, page, this::groupResponse);
  }

  @ActionEvent(eventType = VmqscEventTypes.GROUP_UPDATE, eventDescription = "updating protection group", async = true)
  public ProtectionGroupResponse updateGroup(String groupId, String name, Long basePeriodMs, String recoveryPolicy) {
    String group = accessibleGroup(groupId);
    if (basePeriodMs != null) checkRange("baseperiod", basePeriodMs, 1, MAX_BASE_PERIOD_MS);
    RecoveryPolicy policy = parseEnum("recoverypolicy", recoveryPolicy, RecoveryPolicy.class);
    return call(() -> groupResponse(service().updateGroup(group, blankToNull(name), basePeriodMs, policy)));
  }

  @ActionEvent(eventType = VmqscEventTypes.GROUP_DELETE, eventDescription = "deleting protection group", async = true)
  public SuccessResponse deleteGroup(String groupId) {
    String group = accessibleGroup(groupId);
    call(() -> {
      clusters.get().delete(group);
      return null;
    });
    return new SuccessResponse();
  }

  // ---- members -----------------------------------------------------------------------------------------------

  public ProtectionGroupResponse addVm(String groupId, Long vmId, String vmClass, Long hostId) {
    String group = accessibleGroup(groupId);
    VirtualMachine vm = vm(vmId);
    checkVmAccess(callers.caller(), vm);
    if (vm.isHaEnabled()) {
      // CloudStack's HA would restart it from its disks after a host failure while vmqsc restores it from its
      // checkpoint: the VM would run twice. Protected VMs run on an offering without HA.
      throw paramError("VM " + vm.getUuid() + " has HA enabled: CloudStack would restart it after a host failure"
          + " while vmqsc restores it; use an offering without HA for protected VMs");
    }
    String cls = vmClass != null && !vmClass.isBlank() ? vmClass : VmqscSettings.DEFAULT_VM_CLASS.value();
    String host = hostId != null ? host(hostId).getUuid() : hostOf(vm);
    return call(() -> {
      service().addVm(group, vm.getUuid(), cls, host);
      return groupResponse(service().group(group));
    });
  }

  public ProtectionGroupResponse removeVm(String groupId, Long vmId) {
    String group = accessibleGroup(groupId);
    VirtualMachine vm = vm(vmId);
    return call(() -> {
      service().removeVm(group, vm.getUuid());
      return groupResponse(service().group(group));
    });
  }

  /** A VM's class, until the group starts (the service refuses it after, and says why). */
  public ProtectionGroupResponse updateVm(String groupId, Long vmId, String vmClass) {
    String group = accessibleGroup(groupId);
    VirtualMachine vm = vm(vmId);
    require("vmclass", vmClass);
    return call(() -> {
      service().changeVmClass(group, vm.getUuid(), vmClass);
      return groupResponse(service().group(group));
    });
  }

  public ListResponse<BaseResponse> listVmClassAdvice(String groupId, Integer maxK) {
    String group = accessibleGroup(groupId);
    int k = maxK == null ? TrafficAdvisor.DEFAULT_MAX_K : maxK;
    checkRange("maxk", k, 2, TrafficAdvisor.MAX_MAX_K);
    List<BaseResponse> all = call(() -> TrafficAdvisor.advise(service(), group, k)).stream()
        .<BaseResponse>map(Responses::vmClassAdvice).toList();
    return list(all, all.size());
  }

  /** Starts protecting the group on its hosts: membership and T0 are final from then on. */
  @ActionEvent(eventType = VmqscEventTypes.GROUP_ENABLE, eventDescription = "enabling protection group", async = true)
  public ProtectionGroupResponse enableGroup(String groupId) {
    String group = accessibleGroup(groupId);
    return call(() -> groupResponse(clusters.get().enable(group)));
  }

  // ---- history -----------------------------------------------------------------------------------------------

  public ListResponse<BaseResponse> listCheckpoints(String groupId, Long vmId, Boolean includeRemoved,
                                                    PageRequest page) {
    String group = accessibleGroup(groupId);
    boolean removed = includeRemoved != null && includeRemoved;
    if (vmId == null) {
      return list(call(() -> service().listCheckpoints(group, removed, page)), Responses::checkpoint);
    }
    String vm = vm(vmId).getUuid();
    if (service().members(group).stream().noneMatch(m -> m.vmUuid().equals(vm))) {
      throw paramError("VM " + vm + " is not in group " + group);
    }
    // The service pages by group only: gather the VM's checkpoints, then page them.
    List<CheckpointView> ofVm = new ArrayList<>();
    PageRequest chunk = PageRequest.first(PageRequest.MAX_LIMIT);
    while (true) {
      PageRequest next = chunk;
      Page<CheckpointView> got = call(() -> service().listCheckpoints(group, removed, next));
      got.items().stream().filter(c -> c.vmUuid().equals(vm)).forEach(ofVm::add);
      if (!got.hasMore() || got.items().isEmpty()) break;
      chunk = new PageRequest(chunk.offset() + got.items().size(), chunk.limit());
    }
    return pageOf(ofVm, page, Responses::checkpoint);
  }

  public ListResponse<BaseResponse> listLogSegments(String groupId, Boolean includeRemoved, PageRequest page) {
    String group = accessibleGroup(groupId);
    boolean removed = includeRemoved != null && includeRemoved;
    return list(call(() -> service().listLogSegments(group, removed, page)), Responses::logSegment);
  }

  public ListResponse<BaseResponse> listLines(String groupId, PageRequest page) {
    String group = accessibleGroup(groupId);
    return list(call(() -> service().listLines(group, page)), Responses::line);
  }

  public ListResponse<BaseResponse> listRecoveryEvents(String groupId, PageRequest page) {
    String group = accessibleGroup(groupId);
    return list(call(() -> service().listRecoveryEvents(group, page)), Responses::recoveryEvent);
  }

  /** Recovers the group now; when nothing needed recovering, says so as the standalone manager does. */
  @ActionEvent(eventType = VmqscEventTypes.RECOVERY, eventDescription = "recovering protection group", async = true)
  public BaseResponse recover(String groupId) {
    String group = accessibleGroup(groupId);
    return call(() -> clusters.get().recover(group).<BaseResponse>map(Responses::recoveryEvent).orElseGet(() -> {
      SuccessResponse nothing = new SuccessResponse();
      nothing.setDisplayText("no recovery started: every VM of the group runs, or another manager already"
          + " recovers it");
      return nothing;
    }));
  }

  /** The group named by {@code groupId}, after checking it exists and that the caller may act on it. */
  public String accessibleGroup(String groupId) {
    Account caller = callerMayUsePlugin();
    String group = checkUuid("id", groupId);
    call(() -> service().group(group));
    checkGroupAccess(caller, group);
    return group;
  }

  /** The page CloudStack's list parameters ask for: page from 1, pagesize at most the service's limit. */
  public static PageRequest page(Long startIndex, Long pageSize) {
    long size = pageSize == null ? PageRequest.MAX_LIMIT : pageSize;
    if (size < 1 || size > PageRequest.MAX_LIMIT) {
      throw paramError("pagesize must be between 1 and " + PageRequest.MAX_LIMIT + ", got " + size);
    }
    long offset = startIndex == null ? 0 : startIndex;
    if (offset < 0 || offset > Integer.MAX_VALUE) throw paramError("page is out of range");
    return new PageRequest((int) offset, (int) size);
  }

  // ---- access ------------------------------------------------------------------------------------------------

  /** Root admins always; domain admins when vmqsc.domain.admins.enabled allows it in their domain. */
  private Account callerMayUsePlugin() {
    Account caller = callers.caller();
    if (isRootAdmin(caller)) return caller;
    if (accounts.isDomainAdmin(caller.getId()) && domainAdminsAllowed.test(caller.getDomainId())) {
      return caller;
    }
    throw new PermissionDeniedException("Account " + caller.getUuid() + " may not use vmqsc: only root admins,"
        + " and domain admins where vmqsc.domain.admins.enabled is true");
  }

  private boolean isRootAdmin(Account caller) {
    return accounts.isRootAdmin(caller.getId());
  }

  private void checkGroupAccess(Account caller, String group) {
    if (isRootAdmin(caller)) return;
    for (MemberView m : service().members(group)) {
      VirtualMachine vm = entities.findByUuid(VirtualMachine.class, m.vmUuid());
      if (vm == null) throw new PermissionDeniedException("group " + group + " protects a VM outside your domain");
      checkVmAccess(caller, vm);
    }
  }

  private boolean mayAccess(Account caller, String group) {
    try {
      checkGroupAccess(caller, group);
      return true;
    } catch (PermissionDeniedException e) {
      return false;
    }
  }

  private void checkVmAccess(Account caller, VirtualMachine vm) {
    if (!isRootAdmin(caller)) accounts.checkAccess(caller, null, false, vm);
  }

  // ---- ids ---------------------------------------------------------------------------------------------------

  private VirtualMachine vm(Long id) {
    if (id == null) throw paramError("Unable to execute API command due to missing parameter virtualmachineid");
    VirtualMachine vm = entities.findById(VirtualMachine.class, id);
    if (vm == null) throw paramError("Unable to find a VM with the given id");
    return vm;
  }

  private Host host(Long id) {
    Host host = entities.findById(Host.class, id);
    if (host == null) throw paramError("Unable to find a host with the given id");
    return host;
  }

  /** Where CloudStack runs the VM now, if it runs. */
  private String hostOf(VirtualMachine vm) {
    return vm.getHostId() == null ? null : host(vm.getHostId()).getUuid();
  }

  private static String checkUuid(String name, String value) {
    require(name, value);
    try {
      UUID.fromString(value);
    } catch (IllegalArgumentException e) {
      throw paramError("Unable to execute API command due to invalid value " + value + " for parameter " + name
          + ": expected a uuid");
    }
    return value;
  }

  // ---- plumbing ----------------------------------------------------------------------------------------------

  private ProtectionService service() {
    return services.get();
  }

  private ProtectionGroupResponse groupResponse(GroupView g) {
    return Responses.group(g, service().members(g.uuid()));
  }

  private List<GroupView> allGroups() {
    List<GroupView> all = new ArrayList<>();
    PageRequest chunk = PageRequest.first(PageRequest.MAX_LIMIT);
    while (true) {
      Page<GroupView> got = service().listGroups(chunk);
      all.addAll(got.items());
      if (!got.hasMore() || got.items().isEmpty()) return all;
      chunk = new PageRequest(chunk.offset() + got.items().size(), chunk.limit());
    }
  }

  private static <V, R extends BaseResponse> ListResponse<R> list(Page<V> page, Function<V, ? extends R> toResponse) {
    return list(page.items().stream().<R>map(toResponse).toList(), (int) page.total());
  }

  private static <V, R extends BaseResponse> ListResponse<R> pageOf(List<V> all, PageRequest page,
                                                                    Function<V, ? extends R> toResponse) {
    int from = Math.min(page.offset(), all.size());
    int to = Math.min(from + page.limit(), all.size());
    return list(all.subList(from, to).stream().<R>map(toResponse).toList(), all.size());
  }

  private static <R extends BaseResponse> ListResponse<R> list(List<R> items, int count) {
    ListResponse<R> response = new ListResponse<>();
    response.setResponses(items, count);
    return response;
  }

  /** Runs a service call; its refusals become CloudStack's PARAM_ERROR with the service's words. */
  private static <T> T call(Supplier<T> work) {
    try {
      return work.get();
    } catch (ServiceException e) {
      throw paramError(e.getMessage());
    }
  }

  private static void require(String name, String value) {
    if (value == null || value.isBlank()) {
      throw paramError("Unable to execute API command due to missing parameter " + name);
    }
  }

  private static void checkRange(String name, long value, long min, long max) {
    if (value < min || value > max) {
      throw paramError("Unable to execute API command due to invalid value " + value + " for parameter " + name
          + ": expected between " + min + " and " + max);
    }
  }

  /** Enum values in any case ("manual", "MANUAL"); null stays null (the service's default). */
  private static <E extends Enum<E>> E parseEnum(String name, String value, Class<E> type) {
    if (value == null || value.isBlank()) return null;
    try {
      return Enum.valueOf(type, value.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw paramError("Unable to execute API command due to invalid value " + value + " for parameter " + name
          + ": expected one of " + List.of(type.getEnumConstants()));
    }
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }

  static ServerApiException paramError(String message) {
    return new ServerApiException(ApiErrorCode.PARAM_ERROR, message);
  }
}
