package org.vmqsc.plugin.server.api.command;

import javax.inject.Inject;
import org.apache.cloudstack.acl.RoleType;
import org.apache.cloudstack.api.APICommand;
import org.apache.cloudstack.api.ApiConstants;
import org.apache.cloudstack.api.BaseAsyncCmd;
import org.apache.cloudstack.api.Parameter;
import org.vmqsc.plugin.server.VmqscEventTypes;
import org.vmqsc.plugin.server.api.ProtectionGroupApi;
import org.vmqsc.plugin.server.api.response.ProtectionGroupResponse;

@APICommand(name = "createProtectionGroup", description = "Creates a protection group: VMs whose checkpoints form"
    + " group-consistent recovery lines", responseObject = ProtectionGroupResponse.class, since = "4.22.0",
    requestHasSensitiveInfo = false, responseHasSensitiveInfo = false,
    authorized = {RoleType.Admin, RoleType.DomainAdmin})
public class CreateProtectionGroupCmd extends BaseAsyncCmd {

  @Inject ProtectionGroupApi api;

  @Parameter(name = ApiConstants.NAME, type = CommandType.STRING, required = true, description = "the group's name")
  private String name;

  @Parameter(name = "baseperiod", type = CommandType.LONG, description = "the base checkpoint period T0 in"
      + " milliseconds, 1 to 604800000 (default: vmqsc.default.base.period)")
  private Long basePeriod;

  @Parameter(name = "recoverypolicy", type = CommandType.STRING, description = "AUTOMATIC (default) or MANUAL")
  private String recoveryPolicy;

  @Parameter(name = "earlyindexpolicy", type = CommandType.STRING,
      description = "ADVANCE_AND_LOG (default) or FORCE_CHECKPOINT")
  private String earlyIndexPolicy;

  @Override public void execute() {
    ProtectionGroupResponse response = api.createGroup(name, basePeriod, recoveryPolicy, earlyIndexPolicy);
    response.setResponseName(getCommandName());
    setResponseObject(response);
  }

  @Override public long getEntityOwnerId() {
    return Commands.callerAccountId();
  }

  @Override public String getEventType() {
    return VmqscEventTypes.GROUP_CREATE;
  }

  @Override public String getEventDescription() {
    return "creating protection group " + name;
  }
}
