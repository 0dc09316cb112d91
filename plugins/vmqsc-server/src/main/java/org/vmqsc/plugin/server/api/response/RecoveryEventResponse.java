package org.vmqsc.plugin.server.api.response;

import com.cloud.serializer.Param;
import com.google.gson.annotations.SerializedName;
import java.util.Date;
import java.util.List;
import org.apache.cloudstack.api.ApiConstants;
import org.apache.cloudstack.api.BaseResponse;

/** A recovery of a group: what failed, which line it went back to, which VMs rolled back, how it ended. */
public class RecoveryEventResponse extends BaseResponse {

  @SerializedName(ApiConstants.ID)
  @Param(description = "the recovery's uuid")
  private String id;

  @SerializedName("protectiongroupid")
  @Param(description = "the group's uuid")
  private String protectionGroupId;

  @SerializedName("failurekind")
  @Param(description = "HOST or VM")
  private String failureKind;

  @SerializedName("failedid")
  @Param(description = "the failed host's uuid, or the failed VMs' uuids, comma separated")
  private String failedId;

  @SerializedName("lineindex")
  @Param(description = "the recovery line the group went back to")
  private Long lineIndex;

  @SerializedName("rolledback")
  @Param(description = "the uuids of the VMs rolled back")
  private List<String> rolledBack;

  @SerializedName("replayedmessages")
  @Param(description = "how many messages were delivered again")
  private Long replayedMessages;

  @SerializedName(ApiConstants.STATE)
  @Param(description = "RUNNING, SUCCEEDED or FAILED")
  private String state;

  @SerializedName("outcome")
  @Param(description = "how it ended, in words")
  private String outcome;

  @SerializedName("owner")
  @Param(description = "the management server that ran it")
  private String owner;

  @SerializedName("started")
  @Param(description = "when it started")
  private Date started;

  @SerializedName("finished")
  @Param(description = "when it finished")
  private Date finished;

  @SerializedName("duration")
  @Param(description = "how long it took, in milliseconds")
  private Long duration;

  public RecoveryEventResponse(String id, String protectionGroupId, String failureKind, String failedId,
                               Long lineIndex, List<String> rolledBack, long replayedMessages, String state,
                               String outcome, String owner, Date started, Date finished, Long duration) {
    super("recoveryevent");
    this.id = id;
    this.protectionGroupId = protectionGroupId;
    this.failureKind = failureKind;
    this.failedId = failedId;
    this.lineIndex = lineIndex;
    this.rolledBack = rolledBack;
    this.replayedMessages = replayedMessages;
    this.state = state;
    this.outcome = outcome;
    this.owner = owner;
    this.started = started;
    this.finished = finished;
    this.duration = duration;
  }

  @Override public String getObjectId() {
    return id;
  }
}
