package org.apache.cloudstack.api;

import com.cloud.utils.exception.CloudRuntimeException;

public class ServerApiException extends CloudRuntimeException {
  private ApiErrorCode _errorCode;
  private String _description;

  public ServerApiException() {
    _errorCode = ApiErrorCode.INTERNAL_ERROR;
    _description = null;
  }

  public ServerApiException(ApiErrorCode errorCode, String description) {
    _errorCode = errorCode;
    _description = description;
  }

  public ServerApiException(ApiErrorCode errorCode, String description, Throwable cause) {
    super(description, cause);
    _errorCode = errorCode;
    _description = description;
  }

  public ApiErrorCode getErrorCode() {
    return _errorCode;
  }

  public String getDescription() {
    return _description;
  }

  @Override public String getMessage() {
    return _description;
  }
}
