package org.vmqsc.plugin.server.api.response;

import com.cloud.serializer.Param;
import com.google.gson.annotations.SerializedName;
import org.apache.cloudstack.api.ApiConstants;
import org.apache.cloudstack.api.BaseResponse;

/** The class proposed for one VM of a protection group, and the traffic it follows from. */
public class VmClassAdviceResponse extends BaseResponse {

  @SerializedName(ApiConstants.VIRTUAL_MACHINE_ID)
  @Param(description = "the VM's uuid")
  private String virtualMachineId;

  @SerializedName("vmclass")
  @Param(description = "the VM's class now")
  private String vmClass;

  @SerializedName("proposedclass")
  @Param(description = "the class its traffic suggests (SI, MI_k, or MI_k@phase: at the base boundaries n with"
      + " n mod k = phase); absent while the traffic cannot tell")
  private String proposedClass;

  @SerializedName("reason")
  @Param(description = "the figures the proposal follows from, or why there is none")
  private String reason;

  @SerializedName("periods")
  @Param(description = "base periods of recorded traffic")
  private Long periods;

  @SerializedName("messagesreceived")
  @Param(description = "messages the VM received in those periods")
  private Long messagesReceived;

  @SerializedName("checkpointsize")
  @Param(description = "mean bytes stored by its incremental checkpoints")
  private Long checkpointSize;

  @SerializedName("loggedsize")
  @Param(description = "bytes its log segments logged")
  private Long loggedSize;

  @SerializedName("loggedmessages")
  @Param(description = "messages its log segments hold")
  private Long loggedMessages;

  @SerializedName("receivedsizeperperiod")
  @Param(description = "bytes received per base period, when the size of its messages is known")
  private Long receivedSizePerPeriod;

  public VmClassAdviceResponse(String virtualMachineId, String vmClass, String proposedClass, String reason,
                               Long periods, Long messagesReceived, Long checkpointSize, Long loggedSize,
                               Long loggedMessages, Long receivedSizePerPeriod) {
    super("vmclassadvice");
    this.virtualMachineId = virtualMachineId;
    this.vmClass = vmClass;
    this.proposedClass = proposedClass;
    this.reason = reason;
    this.periods = periods;
    this.messagesReceived = messagesReceived;
    this.checkpointSize = checkpointSize;
    this.loggedSize = loggedSize;
    this.loggedMessages = loggedMessages;
    this.receivedSizePerPeriod = receivedSizePerPeriod;
  }
}
