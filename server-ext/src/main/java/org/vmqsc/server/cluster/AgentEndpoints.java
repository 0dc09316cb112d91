package org.vmqsc.server.cluster;

import com.google.gson.JsonParseException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmqsc.agent.wire.Wire;
import org.vmqsc.agent.wire.WireMessages.Heartbeat;
import org.vmqsc.agent.wire.WireMessages.Refusal;
import org.vmqsc.agent.wire.WireMessages.Register;
import org.vmqsc.agent.wire.WireMessages.Reports;
import org.vmqsc.server.service.ServiceException;

/**
 * The agents' side of the manager's HTTP server: {@code POST /agent/v1/register | heartbeat | report}, JSON in and
 * out, for requests with the cluster's agent token only. A bad request is a 400 with the reason, a report the
 * service refuses a 409 (the agent drops it), a manager that cannot do it now (its database) a 503 (the agent
 * tries again); never a stack trace.
 */
final class AgentEndpoints extends Handler.Abstract {

  static final String PREFIX = "/agent/v1/";
  private static final int MAX_BODY = 16 << 20;
  private static final Logger log = LoggerFactory.getLogger(AgentEndpoints.class);

  /** What the endpoints do; the cluster implements it. */
  interface Agents {
    Object register(Register r);

    Object heartbeat(Heartbeat h);

    Object report(Reports r);
  }

  private final byte[] token;
  private final Agents agents;

  AgentEndpoints(String token, Agents agents) {
    this.token = token.getBytes(StandardCharsets.UTF_8);
    this.agents = agents;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    String path = Request.getPathInContext(request);
    if (!path.startsWith(PREFIX)) return false; // the admin API's
    String given = request.getHeaders().get(Wire.TOKEN_HEADER);
    if (given == null || !MessageDigest.isEqual(token, given.getBytes(StandardCharsets.UTF_8))) {
      return reply(response, callback, 401, new Refusal("no or wrong agent token"));
    }
    if (!HttpMethod.POST.is(request.getMethod())) return reply(response, callback, 405, new Refusal("use POST"));
    String name = path.substring(PREFIX.length());
    try {
      if (request.getLength() > MAX_BODY) throw new IllegalArgumentException("the body is too large");
      String body = Content.Source.asString(request, StandardCharsets.UTF_8);
      Object answer = switch (name) {
        case "register" -> agents.register(parse(body, Register.class));
        case "heartbeat" -> agents.heartbeat(parse(body, Heartbeat.class));
        case "report" -> agents.report(parse(body, Reports.class));
        default -> null;
      };
      if (answer == null) return reply(response, callback, 404, new Refusal("no endpoint " + path));
      return reply(response, callback, 200, answer);
    } catch (IllegalArgumentException | JsonParseException e) {
      return reply(response, callback, 400, new Refusal(e.getMessage()));
    } catch (ServiceException e) {
      return reply(response, callback, 409, new Refusal(e.getMessage(), e.reason().name()));
    } catch (Exception e) {
      log.warn("agent request {} failed: {}", name, e.toString());
      return reply(response, callback, 503, new Refusal("the manager cannot take this now: " + e.getMessage()));
    }
  }

  private static <T> T parse(String body, Class<T> type) {
    T parsed = Wire.GSON.fromJson(body, type);
    if (parsed == null) throw new IllegalArgumentException("the body is empty");
    return parsed;
  }

  private static boolean reply(Response response, Callback callback, int status, Object body) {
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json; charset=UTF-8");
    response.write(true, ByteBuffer.wrap(Wire.GSON.toJson(body).getBytes(StandardCharsets.UTF_8)), callback);
    return true;
  }
}
