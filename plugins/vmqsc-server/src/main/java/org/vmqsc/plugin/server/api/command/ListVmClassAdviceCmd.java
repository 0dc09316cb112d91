package org.vmqsc.plugin.server.api.command;

import javax.inject.Inject;
import org.apache.cloudstack.acl.RoleType;
import org.apache.cloudstack.api.APICommand;
import org.apache.cloudstack.api.BaseListCmd;
import org.apache.cloudstack.api.Parameter;
import org.apache.cloudstack.api.response.ListResponse;
import org.vmqsc.plugin.server.api.ProtectionGroupApi;
import org.vmqsc.plugin.server.api.response.VmClassAdviceResponse;

@APICommand(name = "listVmClassAdvice", description = "Lists the class proposed for each VM of a protection group"
    + " from its recorded traffic, MI classes with their phase", responseObject = VmClassAdviceResponse.class, since = "4.22.0",
    requestHasSensitiveInfo = false, responseHasSensitiveInfo = false,
    authorized = {RoleType.Admin, RoleType.DomainAdmin})
public class ListVmClassAdviceCmd extends BaseListCmd {

  @Inject ProtectionGroupApi api;

  @Parameter(name = "protectiongroupid", type = CommandType.STRING, required = true, description = "the group's uuid")
  private String protectionGroupId;

  @Parameter(name = "maxk", type = CommandType.INTEGER,
      description = "the longest interval k to propose, 2 to 64 (default 4)")
  private Integer maxK;

  @Override public void execute() {
    ListResponse<?> response = api.listVmClassAdvice(protectionGroupId, maxK);
    response.setResponseName(getCommandName());
    setResponseObject(response);
  }
}
