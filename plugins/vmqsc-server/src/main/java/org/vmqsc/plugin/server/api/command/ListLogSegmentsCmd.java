package org.vmqsc.plugin.server.api.command;

import javax.inject.Inject;
import org.apache.cloudstack.acl.RoleType;
import org.apache.cloudstack.api.APICommand;
import org.apache.cloudstack.api.BaseListCmd;
import org.apache.cloudstack.api.Parameter;
import org.apache.cloudstack.api.response.ListResponse;
import org.vmqsc.plugin.server.api.ProtectionGroupApi;
import org.vmqsc.plugin.server.api.response.LogSegmentResponse;
import org.vmqsc.server.service.PageRequest;

@APICommand(name = "listLogSegments", description = "Lists a protection group's sealed receive-log segments (what MI"
    + " VMs write between their checkpoints)", responseObject = LogSegmentResponse.class, since = "4.22.0",
    requestHasSensitiveInfo = false, responseHasSensitiveInfo = false,
    authorized = {RoleType.Admin, RoleType.DomainAdmin})
public class ListLogSegmentsCmd extends BaseListCmd {

  @Inject ProtectionGroupApi api;

  @Parameter(name = "protectiongroupid", type = CommandType.STRING, required = true, description = "the group's uuid")
  private String protectionGroupId;

  @Parameter(name = "includeremoved", type = CommandType.BOOLEAN,
      description = "also the segments collected behind the line or discarded by a recovery")
  private Boolean includeRemoved;

  @Override public void execute() {
    ListResponse<?> response = api.listLogSegments(protectionGroupId, includeRemoved, page());
    response.setResponseName(getCommandName());
    setResponseObject(response);
  }

  private PageRequest page() {
    return ProtectionGroupApi.page(getStartIndex(), getPageSizeVal());
  }
}
