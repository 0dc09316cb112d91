package org.apache.cloudstack.api;

import com.cloud.serializer.Param;
import com.google.gson.annotations.SerializedName;

public abstract class BaseResponse implements ResponseObject {
  private transient String responseName;
  private transient String objectName;

  @SerializedName(ApiConstants.JOB_ID)
  @Param(description = "the job acting on this object")
  protected String jobId;

  @SerializedName(ApiConstants.JOB_STATUS)
  @Param(description = "the status of the job acting on this object")
  private Integer jobStatus;

  public BaseResponse() {
  }

  public BaseResponse(String objectName) {
    this.objectName = objectName;
  }

  @Override public final String getResponseName() {
    return responseName;
  }

  @Override public final void setResponseName(String responseName) {
    this.responseName = responseName;
  }

  @Override public final String getObjectName() {
    return objectName;
  }

  @Override public final void setObjectName(String objectName) {
    this.objectName = objectName;
  }

  @Override public String getObjectId() {
    return null;
  }

  @Override public String getJobId() {
    return jobId;
  }

  @Override public void setJobId(String jobId) {
    this.jobId = jobId;
  }

  @Override public Integer getJobStatus() {
    return jobStatus;
  }

  @Override public void setJobStatus(Integer jobStatus) {
    this.jobStatus = jobStatus;
  }
}
