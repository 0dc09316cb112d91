package org.apache.cloudstack.api;

public abstract class BaseAsyncCmd extends BaseCmd {
  public abstract String getEventType();

  public abstract String getEventDescription();

  public String getSyncObjType() {
    return null;
  }

  public Long getSyncObjId() {
    return null;
  }

  public Object getJob() {
    throw new UnsupportedOperationException("declaration only");
  }
}
