package org.vmqsc.plugin.server.api.response;

import com.cloud.serializer.Param;
import com.google.gson.annotations.SerializedName;
import java.util.Date;
import java.util.List;
import org.apache.cloudstack.api.ApiConstants;
import org.apache.cloudstack.api.BaseResponse;

/** A recovery line the group reached: for each VM, the checkpoint it restores. */
public class RecoveryLineResponse extends BaseResponse {

  @SerializedName("protectiongroupid")
  @Param(description = "the group's uuid")
  private String protectionGroupId;

  @SerializedName("index")
  @Param(description = "the line's index: a base boundary")
  private Long index;

  @SerializedName(ApiConstants.CREATED)
  @Param(description = "when the group reached it")
  private Date created;

  @SerializedName("entry")
  @Param(description = "one entry per VM", responseObject = Entry.class)
  private List<Entry> entries;

  public RecoveryLineResponse(String protectionGroupId, long index, Date created, List<Entry> entries) {
    super("recoveryline");
    this.protectionGroupId = protectionGroupId;
    this.index = index;
    this.created = created;
    this.entries = entries;
  }

  /** A VM's place on the line. */
  public static class Entry extends BaseResponse {

    @SerializedName(ApiConstants.VIRTUAL_MACHINE_ID)
    @Param(description = "the VM's uuid")
    private String virtualMachineId;

    @SerializedName("checkpointindex")
    @Param(description = "the index of the checkpoint it restores")
    private Long checkpointIndex;

    @SerializedName("checkpointid")
    @Param(description = "the uuid of the checkpoint it restores")
    private String checkpointId;

    public Entry(String virtualMachineId, long checkpointIndex, String checkpointId) {
      super("entry");
      this.virtualMachineId = virtualMachineId;
      this.checkpointIndex = checkpointIndex;
      this.checkpointId = checkpointId;
    }
  }
}
