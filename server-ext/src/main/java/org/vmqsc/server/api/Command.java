package org.vmqsc.server.api;

import com.google.gson.JsonObject;

/** One API command: reads its parameters, calls the service, returns what goes inside {@code <cmd>response}. */
@FunctionalInterface
interface Command {

  JsonObject run(Params params);
}
