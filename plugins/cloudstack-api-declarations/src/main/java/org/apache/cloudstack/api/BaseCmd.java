package org.apache.cloudstack.api;

import com.cloud.exception.ConcurrentOperationException;
import com.cloud.exception.InsufficientCapacityException;
import com.cloud.exception.NetworkRuleConflictException;
import com.cloud.exception.ResourceAllocationException;
import com.cloud.exception.ResourceUnavailableException;
import com.cloud.user.AccountService;
import com.cloud.utils.db.EntityManager;
import javax.inject.Inject;

public abstract class BaseCmd {
  public static final String RESPONSE_SUFFIX = "response";

  public enum CommandType {
    BOOLEAN, DATE, FLOAT, DOUBLE, INTEGER, SHORT, LIST, LONG, OBJECT, MAP, STRING, UUID
  }

  private Object _responseObject;

  @Inject
  public AccountService _accountService;
  @Inject
  public EntityManager _entityMgr;

  public abstract void execute() throws ResourceUnavailableException, InsufficientCapacityException,
      ServerApiException, ConcurrentOperationException, ResourceAllocationException, NetworkRuleConflictException;

  public abstract long getEntityOwnerId();

  public static String getCommandNameByClass(Class<?> clazz) {
    throw new UnsupportedOperationException("declaration only");
  }

  public static String getResponseNameByClass(Class<?> clazz) {
    throw new UnsupportedOperationException("declaration only");
  }

  public String getActualCommandName() {
    throw new UnsupportedOperationException("declaration only");
  }

  public String getCommandName() {
    throw new UnsupportedOperationException("declaration only");
  }

  public Object getResponseObject() {
    return _responseObject;
  }

  public void setResponseObject(Object responseObject) {
    _responseObject = responseObject;
  }
}
