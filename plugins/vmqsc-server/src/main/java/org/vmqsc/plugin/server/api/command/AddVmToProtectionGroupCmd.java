package org.vmqsc.plugin.server.api.command;

import javax.inject.Inject;
import org.apache.cloudstack.acl.RoleType;
import org.apache.cloudstack.api.APICommand;
import org.apache.cloudstack.api.ApiConstants;
import org.apache.cloudstack.api.BaseCmd;
import org.apache.cloudstack.api.Parameter;
import org.apache.cloudstack.api.response.HostResponse;
import org.apache.cloudstack.api.response.UserVmResponse;
import org.vmqsc.plugin.server.api.ProtectionGroupApi;
import org.vmqsc.plugin.server.api.response.ProtectionGroupResponse;

@APICommand(name = "addVmToProtectionGroup", description = "Adds a VM to a protection group (before the group is"
    + " enabled); the VM's offering must not have HA", responseObject = ProtectionGroupResponse.class,
    since = "4.22.0", requestHasSensitiveInfo = false, responseHasSensitiveInfo = false,
    authorized = {RoleType.Admin, RoleType.DomainAdmin})
public class AddVmToProtectionGroupCmd extends BaseCmd {

  @Inject ProtectionGroupApi api;

  @Parameter(name = ApiConstants.ID, type = CommandType.STRING, required = true, description = "the group's uuid")
  private String id;

  @Parameter(name = ApiConstants.VIRTUAL_MACHINE_ID, type = CommandType.UUID, entityType = UserVmResponse.class,
      required = true, description = "the VM")
  private Long virtualMachineId;

  @Parameter(name = "vmclass", type = CommandType.STRING,
      description = "SI (every base period), MI_k (every k periods, k >= 2) or MI_k@phase (at the base boundaries n with"
          + " n mod k = phase, 0 <= phase < k); default vmqsc.default.vm.class")
  private String vmClass;

  @Parameter(name = ApiConstants.HOST_ID, type = CommandType.UUID, entityType = HostResponse.class,
      description = "the host the VM runs on (default: where CloudStack runs it)")
  private Long hostId;

  @Override public void execute() {
    ProtectionGroupResponse response = api.addVm(id, virtualMachineId, vmClass, hostId);
    response.setResponseName(getCommandName());
    setResponseObject(response);
  }

  @Override public long getEntityOwnerId() {
    return Commands.callerAccountId();
  }
}
