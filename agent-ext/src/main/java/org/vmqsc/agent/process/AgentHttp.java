package org.vmqsc.agent.process;

import com.google.gson.JsonParseException;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import org.vmqsc.agent.wire.Wire;
import org.vmqsc.agent.wire.WireMessages.Refusal;

/**
 * The agent's HTTP end for its manager's orders: {@code POST /v1/<order>} with a JSON body, answered with JSON.
 * Only requests that carry the cluster's token are served; a bad body is a 400 with the reason, an order the node
 * refuses a 409, never a stack trace.
 */
final class AgentHttp implements AutoCloseable {

  /** One order: its body's type and what to do with it. */
  interface Order<T> {
    Object handle(T body) throws Exception;
  }

  private record Route<T>(Class<T> type, Order<T> order) {}

  private static final int MAX_BODY = 64 << 20;

  private final HttpServer server;
  private final byte[] token;
  private final Map<String, Route<?>> routes = new ConcurrentHashMap<>();

  AgentHttp(InetSocketAddress bind, String token) throws IOException {
    this.token = token.getBytes(StandardCharsets.UTF_8);
    this.server = HttpServer.create(bind, 64);
    server.createContext("/v1/", this::serve);
    server.setExecutor(Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, "vmqsc-agent-http");
      t.setDaemon(true);
      return t;
    }));
  }

  <T> AgentHttp route(String name, Class<T> type, Order<T> order) {
    routes.put("/v1/" + name, new Route<>(type, order));
    return this;
  }

  AgentHttp start() {
    server.start();
    return this;
  }

  String url() {
    InetSocketAddress a = server.getAddress();
    return "http://" + a.getHostString() + ":" + a.getPort() + "/";
  }

  private void serve(HttpExchange exchange) throws IOException {
    // The exchange closes after the answer, refusals included: a try-with-resources would close it before its
    // catch clauses ran, and a refused order would reach the manager as a connection closed without a word.
    try (exchange) {
      serveOpen(exchange);
    }
  }

  private void serveOpen(HttpExchange exchange) throws IOException {
    try {
      String given = exchange.getRequestHeaders().getFirst(Wire.TOKEN_HEADER);
      if (given == null || !MessageDigest.isEqual(token, given.getBytes(StandardCharsets.UTF_8))) {
        answer(exchange, 401, new Refusal("no or wrong agent token"));
        return;
      }
      Route<?> route = routes.get(exchange.getRequestURI().getPath());
      if (route == null || !"POST".equals(exchange.getRequestMethod())) {
        answer(exchange, 404, new Refusal("no order " + exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath()));
        return;
      }
      answer(exchange, 200, run(route, read(exchange.getRequestBody())));
    } catch (BadOrder e) {
      answer(exchange, 400, new Refusal(e.getMessage()));
    } catch (org.vmqsc.agent.node.MigrationRefusedException e) {
      answer(exchange, 423, new Refusal(e.getMessage())); // not now: its writes are not all stable yet
    } catch (Exception e) {
      answer(exchange, 409, new Refusal(e.getMessage() == null ? e.toString() : e.getMessage()));
    } catch (Error e) {
      // An order that runs out of memory: say so (the HTTP server would close the connection without a word).
      System.err.println("agent: order " + exchange.getRequestURI().getPath() + " failed: " + e);
      answer(exchange, 500, new Refusal("the agent failed: " + e));
    }
  }

  private static <T> Object run(Route<T> route, String body) throws Exception {
    T parsed;
    try {
      parsed = Wire.GSON.fromJson(body, route.type());
    } catch (JsonParseException e) {
      throw new BadOrder("the body is not a valid " + route.type().getSimpleName() + ": " + e.getMessage());
    }
    if (parsed == null) throw new BadOrder("the body is empty");
    Object result = route.order().handle(parsed);
    return result == null ? Map.of() : result;
  }

  private static String read(InputStream in) throws IOException {
    byte[] body = in.readNBytes(MAX_BODY + 1);
    if (body.length > MAX_BODY) throw new BadOrder("the body is larger than " + MAX_BODY + " bytes");
    return new String(body, StandardCharsets.UTF_8);
  }

  private static void answer(HttpExchange exchange, int status, Object body) throws IOException {
    byte[] json = Wire.GSON.toJson(body).getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, json.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(json);
    }
  }

  private static final class BadOrder extends IOException {
    BadOrder(String message) {
      super(message);
    }
  }

  @Override public void close() {
    server.stop(0);
  }
}
