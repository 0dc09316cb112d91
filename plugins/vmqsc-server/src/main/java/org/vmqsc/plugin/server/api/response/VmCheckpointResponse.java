package org.vmqsc.plugin.server.api.response;

import com.cloud.serializer.Param;
import com.google.gson.annotations.SerializedName;
import java.util.Date;
import org.apache.cloudstack.api.ApiConstants;
import org.apache.cloudstack.api.BaseResponse;

/** One checkpoint of a protected VM. */
public class VmCheckpointResponse extends BaseResponse {

  @SerializedName(ApiConstants.ID)
  @Param(description = "the checkpoint's uuid")
  private String id;

  @SerializedName(ApiConstants.VIRTUAL_MACHINE_ID)
  @Param(description = "the VM's uuid")
  private String virtualMachineId;

  @SerializedName("index")
  @Param(description = "the checkpoint's sequence number (CSN): the base boundary it was taken at")
  private Long index;

  @SerializedName("incarnation")
  @Param(description = "the VM's execution it belongs to")
  private Integer incarnation;

  @SerializedName("forced")
  @Param(description = "true when a message forced it before its time")
  private Boolean forced;

  @SerializedName(ApiConstants.HOST_ID)
  @Param(description = "the host that took it (its first there stores the whole image, later ones what changed)")
  private String hostId;

  @SerializedName(ApiConstants.STATE)
  @Param(description = "STAGED (on its host), STABLE, COLLECTED or DISCARDED")
  private String state;

  @SerializedName("size")
  @Param(description = "bytes stored for it")
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

  public VmCheckpointResponse(String id, String virtualMachineId, long index, int incarnation, boolean forced,
                              String hostId, String state, long size, String location, String contentDigest,
                              Date created) {
    super("vmcheckpoint");
    this.id = id;
    this.virtualMachineId = virtualMachineId;
    this.index = index;
    this.incarnation = incarnation;
    this.forced = forced;
    this.hostId = hostId;
    this.state = state;
    this.size = size;
    this.location = location;
    this.contentDigest = contentDigest;
    this.created = created;
  }
}
