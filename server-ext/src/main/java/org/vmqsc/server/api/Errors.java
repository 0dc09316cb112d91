package org.vmqsc.server.api;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmqsc.server.service.ServiceException;

/**
 * Turns whatever a command threw into the error the client sees. The service refuses bad input with a
 * ServiceException, which CloudStack would answer with InvalidParameterValueException: 431, its message as the
 * text (CloudStack uses 431 for unknown ids too). Anything else is a bug or an outage: 530 with a fixed text; the
 * stack goes to the manager's log, never to the client.
 */
final class Errors {

  private static final Logger log = LoggerFactory.getLogger(Errors.class);

  private Errors() {}

  static ApiException of(String command, Throwable t) {
    if (t instanceof ApiException e) return e;
    if (t instanceof ServiceException e) return ApiException.badParameter(e.getMessage());
    log.error("API command {} failed", command, t);
    return ApiException.internal();
  }
}
