package org.vmqsc.plugin.server.api.command;

import javax.inject.Inject;
import org.apache.cloudstack.acl.RoleType;
import org.apache.cloudstack.api.APICommand;
import org.apache.cloudstack.api.ApiConstants;
import org.apache.cloudstack.api.BaseAsyncCmd;
import org.apache.cloudstack.api.BaseResponse;
import org.apache.cloudstack.api.Parameter;
import org.vmqsc.plugin.server.api.response.ProtectionGroupResponse;
import org.vmqsc.plugin.server.VmqscEventTypes;
import org.vmqsc.plugin.server.api.ProtectionGroupApi;

@APICommand(name = "enableProtectionGroup", description = "Starts protecting a group on its hosts; its membership and T0 are final from then on", responseObject = ProtectionGroupResponse.class, since = "4.22.0",
    requestHasSensitiveInfo = false, responseHasSensitiveInfo = false,
    authorized = {RoleType.Admin, RoleType.DomainAdmin})
public class EnableProtectionGroupCmd extends BaseAsyncCmd {

  @Inject ProtectionGroupApi api;

  @Parameter(name = ApiConstants.ID, type = CommandType.STRING, required = true, description = "the group's uuid")
  private String id;

  @Override public void execute() {
    BaseResponse response = api.enableGroup(id);
    response.setResponseName(getCommandName());
    setResponseObject(response);
  }

  @Override public long getEntityOwnerId() {
    return Commands.callerAccountId();
  }

  @Override public String getEventType() {
    return VmqscEventTypes.GROUP_ENABLE;
  }

  @Override public String getEventDescription() {
    return "enabling protection group " + id;
  }

  @Override public String getSyncObjType() {
    return "vmqscprotectiongroup";
  }
}
