package org.vmqsc.plugin.server.api.response;

import com.cloud.serializer.Param;
import com.google.gson.annotations.SerializedName;
import java.util.Date;
import org.apache.cloudstack.api.ApiConstants;
import org.apache.cloudstack.api.BaseResponse;

/** A VM of a protection group. */
public class ProtectionGroupVmResponse extends BaseResponse {

  @SerializedName(ApiConstants.ID)
  @Param(description = "the membership's uuid")
  private String id;

  @SerializedName(ApiConstants.VIRTUAL_MACHINE_ID)
  @Param(description = "the VM's uuid")
  private String virtualMachineId;

  @SerializedName("number")
  @Param(description = "the VM's number inside the group, as hosts and the protocol use it")
  private Integer number;

  @SerializedName("vmclass")
  @Param(description = "SI: checkpoints every base period; MI_k: every k base periods; MI_k@phase: every k, at the"
      + " base boundaries n with n mod k = phase")
  private String vmClass;

  @SerializedName(ApiConstants.HOST_ID)
  @Param(description = "the host the VM runs on")
  private String hostId;

  @SerializedName("incarnation")
  @Param(description = "how many times a recovery rolled the VM back")
  private Integer incarnation;

  @SerializedName(ApiConstants.CREATED)
  @Param(description = "when the VM joined the group")
  private Date created;

  public ProtectionGroupVmResponse(String id, String virtualMachineId, int number, String vmClass, String hostId,
                                   int incarnation, Date created) {
    super("vm");
    this.id = id;
    this.virtualMachineId = virtualMachineId;
    this.number = number;
    this.vmClass = vmClass;
    this.hostId = hostId;
    this.incarnation = incarnation;
    this.created = created;
  }

  public String getVirtualMachineId() {
    return virtualMachineId;
  }
}
