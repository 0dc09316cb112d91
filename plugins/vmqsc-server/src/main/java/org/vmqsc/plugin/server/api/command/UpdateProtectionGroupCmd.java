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

@APICommand(name = "updateProtectionGroup", description = "Updates a protection group: name, recovery policy, T0 (only before its first checkpoint)", responseObject = ProtectionGroupResponse.class, since = "4.22.0",
    requestHasSensitiveInfo = false, responseHasSensitiveInfo = false,
    authorized = {RoleType.Admin, RoleType.DomainAdmin})
public class UpdateProtectionGroupCmd extends BaseAsyncCmd {

  @Inject ProtectionGroupApi api;

  @Parameter(name = ApiConstants.ID, type = CommandType.STRING, required = true, description = "the group's uuid")
  private String id;

  @Parameter(name = ApiConstants.NAME, type = CommandType.STRING, description = "the new name")
  private String name;

  @Parameter(name = "baseperiod", type = CommandType.LONG,
      description = "the new T0 in milliseconds, only before the first checkpoint")
  private Long basePeriod;

  @Parameter(name = "recoverypolicy", type = CommandType.STRING, description = "AUTOMATIC or MANUAL")
  private String recoveryPolicy;

  @Override public void execute() {
    BaseResponse response = api.updateGroup(id, name, basePeriod, recoveryPolicy);
    response.setResponseName(getCommandName());
    setResponseObject(response);
  }

  @Override public long getEntityOwnerId() {
    return Commands.callerAccountId();
  }

  @Override public String getEventType() {
    return VmqscEventTypes.GROUP_UPDATE;
  }

  @Override public String getEventDescription() {
    return "updating protection group " + id;
  }

  @Override public String getSyncObjType() {
    return "vmqscprotectiongroup";
  }
}
