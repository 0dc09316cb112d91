package org.vmqsc.plugin.server.api.command;

import javax.inject.Inject;
import org.apache.cloudstack.acl.RoleType;
import org.apache.cloudstack.api.APICommand;
import org.apache.cloudstack.api.BaseListCmd;
import org.apache.cloudstack.api.Parameter;
import org.apache.cloudstack.api.response.ListResponse;
import org.vmqsc.plugin.server.api.ProtectionGroupApi;
import org.vmqsc.plugin.server.api.response.RecoveryEventResponse;
import org.vmqsc.server.service.PageRequest;

@APICommand(name = "listRecoveryEvents", description = "Lists a protection group's recoveries, newest first", responseObject = RecoveryEventResponse.class, since = "4.22.0",
    requestHasSensitiveInfo = false, responseHasSensitiveInfo = false,
    authorized = {RoleType.Admin, RoleType.DomainAdmin})
public class ListRecoveryEventsCmd extends BaseListCmd {

  @Inject ProtectionGroupApi api;

  @Parameter(name = "protectiongroupid", type = CommandType.STRING, required = true, description = "the group's uuid")
  private String protectionGroupId;

  @Override public void execute() {
    ListResponse<?> response = api.listRecoveryEvents(protectionGroupId, page());
    response.setResponseName(getCommandName());
    setResponseObject(response);
  }

  private PageRequest page() {
    return ProtectionGroupApi.page(getStartIndex(), getPageSizeVal());
  }
}
