package org.vmqsc.plugin.server.api.response;

import com.cloud.serializer.Param;
import com.google.gson.annotations.SerializedName;
import java.util.Date;
import java.util.List;
import org.apache.cloudstack.api.ApiConstants;
import org.apache.cloudstack.api.BaseResponse;

/** A protection group with its VMs: the standalone manager's {@code protectiongroup}, field for field. */
public class ProtectionGroupResponse extends BaseResponse {

  @SerializedName(ApiConstants.ID)
  @Param(description = "the group's uuid")
  private String id;

  @SerializedName(ApiConstants.NAME)
  @Param(description = "the group's name")
  private String name;

  @SerializedName("baseperiod")
  @Param(description = "the base checkpoint period T0, in milliseconds")
  private Long basePeriod;

  @SerializedName("recoverypolicy")
  @Param(description = "AUTOMATIC: recovered as soon as a host fails; MANUAL: on recoverProtectionGroup")
  private String recoveryPolicy;

  @SerializedName("lineindex")
  @Param(description = "the index of the group's recovery line, absent before the first")
  private Long lineIndex;

  @SerializedName(ApiConstants.CREATED)
  @Param(description = "when the group was created")
  private Date created;

  @SerializedName(ApiConstants.STATE)
  @Param(description = "Enabled once its hosts protect it, else Disabled")
  private String state;

  @SerializedName("started")
  @Param(description = "the wall-clock time of the group's base boundary 0")
  private Date started;

  @SerializedName("vmcount")
  @Param(description = "how many VMs the group protects")
  private Integer vmCount;

  @SerializedName("vm")
  @Param(description = "the group's VMs, in the group's numbering", responseObject = ProtectionGroupVmResponse.class)
  private List<ProtectionGroupVmResponse> vms;

  public ProtectionGroupResponse(String id, String name, long basePeriod, String recoveryPolicy, Long lineIndex,
                                 Date created, String state, Date started, List<ProtectionGroupVmResponse> vms) {
    super("protectiongroup");
    this.id = id;
    this.name = name;
    this.basePeriod = basePeriod;
    this.recoveryPolicy = recoveryPolicy;
    this.lineIndex = lineIndex;
    this.created = created;
    this.state = state;
    this.started = started;
    this.vmCount = vms.size();
    this.vms = vms;
  }

  @Override public String getObjectId() {
    return id;
  }

  public String getId() {
    return id;
  }

  public List<ProtectionGroupVmResponse> getVms() {
    return vms;
  }
}
