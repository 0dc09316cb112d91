package org.vmqsc.plugin.server.api.command;

import javax.inject.Inject;
import org.apache.cloudstack.acl.RoleType;
import org.apache.cloudstack.api.APICommand;
import org.apache.cloudstack.api.ApiConstants;
import org.apache.cloudstack.api.BaseCmd;
import org.apache.cloudstack.api.Parameter;
import org.apache.cloudstack.api.response.UserVmResponse;
import org.vmqsc.plugin.server.api.ProtectionGroupApi;
import org.vmqsc.plugin.server.api.response.ProtectionGroupResponse;

@APICommand(name = "removeVmFromProtectionGroup", description = "Removes a VM from a protection group (before the"
    + " group is enabled)", responseObject = ProtectionGroupResponse.class, since = "4.22.0",
    requestHasSensitiveInfo = false, responseHasSensitiveInfo = false,
    authorized = {RoleType.Admin, RoleType.DomainAdmin})
public class RemoveVmFromProtectionGroupCmd extends BaseCmd {

  @Inject ProtectionGroupApi api;

  @Parameter(name = ApiConstants.ID, type = CommandType.STRING, required = true, description = "the group's uuid")
  private String id;

  @Parameter(name = ApiConstants.VIRTUAL_MACHINE_ID, type = CommandType.UUID, entityType = UserVmResponse.class,
      required = true, description = "the VM")
  private Long virtualMachineId;

  @Override public void execute() {
    ProtectionGroupResponse response = api.removeVm(id, virtualMachineId);
    response.setResponseName(getCommandName());
    setResponseObject(response);
  }

  @Override public long getEntityOwnerId() {
    return Commands.callerAccountId();
  }
}
