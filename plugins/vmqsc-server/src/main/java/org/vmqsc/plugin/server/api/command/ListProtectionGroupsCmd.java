package org.vmqsc.plugin.server.api.command;

import javax.inject.Inject;
import org.apache.cloudstack.acl.RoleType;
import org.apache.cloudstack.api.APICommand;
import org.apache.cloudstack.api.ApiConstants;
import org.apache.cloudstack.api.BaseListCmd;
import org.apache.cloudstack.api.Parameter;
import org.apache.cloudstack.api.response.ListResponse;
import org.vmqsc.plugin.server.api.ProtectionGroupApi;
import org.vmqsc.plugin.server.api.response.ProtectionGroupResponse;
import org.vmqsc.server.service.PageRequest;

@APICommand(name = "listProtectionGroups", description = "Lists protection groups with their VMs", responseObject = ProtectionGroupResponse.class, since = "4.22.0",
    requestHasSensitiveInfo = false, responseHasSensitiveInfo = false,
    authorized = {RoleType.Admin, RoleType.DomainAdmin})
public class ListProtectionGroupsCmd extends BaseListCmd {

  @Inject ProtectionGroupApi api;

  @Parameter(name = ApiConstants.ID, type = CommandType.STRING, description = "only this group")
  private String id;

  @Override public void execute() {
    ListResponse<?> response = api.listGroups(id, page());
    response.setResponseName(getCommandName());
    setResponseObject(response);
  }

  private PageRequest page() {
    return ProtectionGroupApi.page(getStartIndex(), getPageSizeVal());
  }
}
