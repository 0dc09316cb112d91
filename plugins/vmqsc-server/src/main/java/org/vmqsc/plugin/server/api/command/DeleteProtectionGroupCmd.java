package org.vmqsc.plugin.server.api.command;

import javax.inject.Inject;
import org.apache.cloudstack.acl.RoleType;
import org.apache.cloudstack.api.APICommand;
import org.apache.cloudstack.api.ApiConstants;
import org.apache.cloudstack.api.BaseAsyncCmd;
import org.apache.cloudstack.api.BaseResponse;
import org.apache.cloudstack.api.Parameter;
import org.apache.cloudstack.api.response.SuccessResponse;
import org.vmqsc.plugin.server.VmqscEventTypes;
import org.vmqsc.plugin.server.api.ProtectionGroupApi;

@APICommand(name = "deleteProtectionGroup", description = "Deletes a protection group and stops it on its hosts; its records stay as history, what it stored goes at the hosts' next reconciliation", responseObject = SuccessResponse.class, since = "4.22.0",
    requestHasSensitiveInfo = false, responseHasSensitiveInfo = false,
    authorized = {RoleType.Admin, RoleType.DomainAdmin})
public class DeleteProtectionGroupCmd extends BaseAsyncCmd {

  @Inject ProtectionGroupApi api;

  @Parameter(name = ApiConstants.ID, type = CommandType.STRING, required = true, description = "the group's uuid")
  private String id;

  @Override public void execute() {
    BaseResponse response = api.deleteGroup(id);
    response.setResponseName(getCommandName());
    setResponseObject(response);
  }

  @Override public long getEntityOwnerId() {
    return Commands.callerAccountId();
  }

  @Override public String getEventType() {
    return VmqscEventTypes.GROUP_DELETE;
  }

  @Override public String getEventDescription() {
    return "deleting protection group " + id;
  }

  @Override public String getSyncObjType() {
    return "vmqscprotectiongroup";
  }
}
