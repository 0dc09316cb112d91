package org.vmqsc.server.api;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;

/**
 * {@code GET/POST /client/api?command=...}: reads the parameters (query and form body alike, as CloudStack does),
 * authenticates, runs the command, and writes {@code {"<command>response": {...}}} with HTTP status 200 or the
 * error code. Order as in CloudStack: credentials first, so an unsigned caller cannot even probe which commands
 * exist. Always JSON ({@code response=xml} is not offered).
 */
final class ApiHandler extends Handler.Abstract {

  static final String PATH = "/client/api";

  private final Authenticator authenticator;
  private final Map<String, Command> commands;
  private final Gson gson = new Gson();

  ApiHandler(Authenticator authenticator, Map<String, Command> commands) {
    this.authenticator = authenticator;
    this.commands = commands;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    if (!PATH.equals(Request.getPathInContext(request))) {
      return reply(response, callback, 404, "errorresponse", Json.error(new ApiException(404,
          ApiException.CS_SERVER_API, "not found: the API is at " + PATH)));
    }
    String method = request.getMethod();
    if (!HttpMethod.GET.is(method) && !HttpMethod.POST.is(method)) {
      return reply(response, callback, 405, "errorresponse", Json.error(new ApiException(405,
          ApiException.CS_SERVER_API, "use GET or POST")));
    }
    Map<String, String> params = new LinkedHashMap<>();
    try {
      for (Fields.Field f : Request.getParameters(request)) params.putIfAbsent(f.getName(), f.getValue());
    } catch (Exception e) {
      return reply(response, callback, ApiException.PARAM_ERROR, "errorresponse", Json.error(
          ApiException.badParameter("malformed request: its parameters cannot be read")));
    }
    String command = null;
    for (Map.Entry<String, String> e : params.entrySet()) {
      if (e.getKey().equalsIgnoreCase("command")) command = e.getValue();
    }
    String responseName = command == null || command.isEmpty() ? "errorresponse"
        : command.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "") + "response";
    try {
      authenticator.check(params);
      if (command == null || command.isEmpty()) throw ApiException.badParameter("no command given");
      Command handler = commands.get(command.toLowerCase(Locale.ROOT));
      if (handler == null) {
        throw new ApiException(ApiException.UNSUPPORTED_ACTION, ApiException.CS_SERVER_API,
            "The given command " + responseName.replaceAll("response$", "") + " does not exist or it is not"
                + " available for the user");
      }
      JsonObject body = handler.run(new Params(command, lowerCased(params)));
      return reply(response, callback, 200, responseName, body);
    } catch (Throwable t) {
      ApiException e = Errors.of(command, t);
      return reply(response, callback, e.errorCode(), responseName, Json.error(e));
    }
  }

  private static Map<String, String> lowerCased(Map<String, String> params) {
    Map<String, String> out = new HashMap<>();
    params.forEach((k, v) -> out.putIfAbsent(k.toLowerCase(Locale.ROOT), v));
    return out;
  }

  private boolean reply(Response response, Callback callback, int status, String name, JsonObject body) {
    JsonObject wrapped = new JsonObject();
    wrapped.add(name, body);
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json; charset=UTF-8");
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
    response.write(true, ByteBuffer.wrap(gson.toJson(wrapped).getBytes(StandardCharsets.UTF_8)), callback);
    return true;
  }
}
