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

@APICommand(name = "updateVmInProtectionGroup", description = "Changes a VM's class in a protection group (before"
    + " the group is enabled: the recovery line reads recorded checkpoints by each VM's class)",
    responseObject = ProtectionGroupResponse.class, since = "4.22.0", requestHasSensitiveInfo = false,
    responseHasSensitiveInfo = false, authorized = {RoleType.Admin, RoleType.DomainAdmin})
public class UpdateVmInProtectionGroupCmd extends BaseCmd {

  @Inject ProtectionGroupApi api;

  @Parameter(name = ApiConstants.ID, type = CommandType.STRING, required = true, description = "the group's uuid")
  private String id;

  @Parameter(name = ApiConstants.VIRTUAL_MACHINE_ID, type = CommandType.UUID, entityType = UserVmResponse.class,
      required = true, description = "the VM")
  private Long virtualMachineId;

  @Parameter(name = "vmclass", type = CommandType.STRING, required = true,
      description = "SI (every base period), MI_k (every k periods, k >= 2) or MI_k@phase (at the base boundaries n"
          + " with n mod k = phase, 0 <= phase < k)")
  private String vmClass;

  @Override public void execute() {
    ProtectionGroupResponse response = api.updateVm(id, virtualMachineId, vmClass);
    response.setResponseName(getCommandName());
    setResponseObject(response);
  }

  @Override public long getEntityOwnerId() {
    return Commands.callerAccountId();
  }
}
