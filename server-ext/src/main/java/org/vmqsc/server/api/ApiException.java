package org.vmqsc.server.api;

/**
 * A request the API refuses, with CloudStack's two codes: {@code errorCode} is also the HTTP status (431 a bad
 * parameter, 401 bad credentials, 432 an unknown command, 530 an internal error) and {@code csErrorCode} names the
 * kind of failure as CloudStack's {@code CSExceptionErrorCode} does, so a client written for CloudStack reads it.
 */
public final class ApiException extends RuntimeException {

  public static final int PARAM_ERROR = 431;
  public static final int UNAUTHORIZED = 401;
  public static final int UNSUPPORTED_ACTION = 432;
  public static final int INTERNAL_ERROR = 530;

  /** CloudStack's codes for InvalidParameterValueException, CloudAuthenticationException, CloudRuntimeException. */
  static final int CS_INVALID_PARAMETER = 4350;
  static final int CS_AUTHENTICATION = 4290;
  static final int CS_RUNTIME = 4250;
  /** CloudStack's code for a bare ServerApiException (an unknown command is one). */
  static final int CS_SERVER_API = 9999;

  /** What CloudStack answers to a request without valid credentials; it says nothing more, neither do we. */
  static final String BAD_CREDENTIALS = "unable to verify user credentials and/or request signature";

  private final int errorCode;
  private final int csErrorCode;

  public ApiException(int errorCode, int csErrorCode, String errorText) {
    super(errorText, null, false, false); // no stack: this is an answer, not a bug
    this.errorCode = errorCode;
    this.csErrorCode = csErrorCode;
  }

  static ApiException badParameter(String text) {
    return new ApiException(PARAM_ERROR, CS_INVALID_PARAMETER, text);
  }

  static ApiException unauthorized() {
    return new ApiException(UNAUTHORIZED, CS_AUTHENTICATION, BAD_CREDENTIALS);
  }

  static ApiException internal() {
    return new ApiException(INTERNAL_ERROR, CS_RUNTIME, "internal error; the manager's log has the details");
  }

  public int errorCode() {
    return errorCode;
  }

  public int csErrorCode() {
    return csErrorCode;
  }
}
