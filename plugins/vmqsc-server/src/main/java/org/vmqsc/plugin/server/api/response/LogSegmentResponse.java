package org.vmqsc.plugin.server.api.response;

import com.cloud.serializer.Param;
import com.google.gson.annotations.SerializedName;
import java.util.Date;
import org.apache.cloudstack.api.ApiConstants;
import org.apache.cloudstack.api.BaseResponse;

/** One sealed receive-log segment of an MI VM: what it received between two of its boundaries. */
public class LogSegmentResponse extends BaseResponse {

  @SerializedName(ApiConstants.ID)
  @Param(description = "the segment's uuid")
  private String id;

  @SerializedName(ApiConstants.VIRTUAL_MACHINE_ID)
  @Param(description = "the VM's uuid")
  private String virtualMachineId;

  @SerializedName("firstindex")
  @Param(description = "the boundary the logged interval starts at")
  private Long firstIndex;

  @SerializedName("index")
  @Param(description = "the boundary that ended the logged interval")
  private Long index;

  @SerializedName("incarnation")
  @Param(description = "the VM's execution it belongs to")
  private Integer incarnation;

  @SerializedName(ApiConstants.STATE)
  @Param(description = "STAGED (on its host), STABLE, COLLECTED or DISCARDED")
  private String state;

  @SerializedName("size")
  @Param(description = "bytes of the messages it logs")
  private Long size;

  @SerializedName("location")
  @Param(description = "where it is stored")
  private String location;

  @SerializedName("contentdigest")
  @Param(description = "the digest of its content")
  private String contentDigest;

  @SerializedName(ApiConstants.CREATED)
  @Param(description = "when it was recorded")
  private Date created;

  public LogSegmentResponse(String id, String virtualMachineId, long firstIndex, long index, int incarnation,
                            String state, long size, String location, String contentDigest, Date created) {
    super("logsegment");
    this.id = id;
    this.virtualMachineId = virtualMachineId;
    this.firstIndex = firstIndex;
    this.index = index;
    this.incarnation = incarnation;
    this.state = state;
    this.size = size;
    this.location = location;
    this.contentDigest = contentDigest;
    this.created = created;
  }
}
