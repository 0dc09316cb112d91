package org.apache.cloudstack.api;

public interface ResponseObject {
  String getObjectName();

  void setObjectName(String name);

  String getObjectId();

  String getJobId();

  void setJobId(String jobId);

  Integer getJobStatus();

  void setJobStatus(Integer jobStatus);

  String getResponseName();

  void setResponseName(String name);

  enum ResponseView {
    Full, Restricted
  }
}
