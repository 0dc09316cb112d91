package org.vmqsc.agent.process;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.vmqsc.agent.wire.Wire;
import org.vmqsc.agent.wire.WireMessages.Heartbeat;
import org.vmqsc.agent.wire.WireMessages.HeartbeatAnswer;
import org.vmqsc.agent.wire.WireMessages.Refusal;
import org.vmqsc.agent.wire.WireMessages.Register;
import org.vmqsc.agent.wire.WireMessages.Registered;
import org.vmqsc.agent.wire.WireMessages.Reports;

/** The agent's calls to its manager ({@code <manager>/agent/v1/...}), JSON over HTTP with the cluster's token. */
final class ManagerClient {

  /** The manager answered, and refused. */
  static final class RefusedException extends IOException {
    /** The kind of refusal the manager's catalog named (UNKNOWN_GROUP, ...), or null. */
    final String reason;

    RefusedException(String message, String reason) {
      super(message);
      this.reason = reason;
    }
  }

  private final URI base;
  private final String token;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

  ManagerClient(URI manager, String token) {
    String text = manager.toString();
    this.base = URI.create(text.endsWith("/") ? text : text + "/");
    this.token = token;
  }

  URI base() {
    return base;
  }

  Registered register(Register r) throws IOException {
    return post("agent/v1/register", r, Registered.class, Duration.ofSeconds(10));
  }

  /**
   * Sends a heartbeat without waiting for its answer: heartbeats leave on time however slow the answers are, and
   * each answer renews the lease from when its own heartbeat left (the lease keeper matches them by seq).
   */
  CompletableFuture<HeartbeatAnswer> heartbeat(Heartbeat h, Duration timeout) {
    return http.sendAsync(request("agent/v1/heartbeat", h, timeout), HttpResponse.BodyHandlers.ofString())
        .thenApply(response -> {
          if (response.statusCode() != 200) throw new IllegalStateException("heartbeat refused: " + response.body());
          return Wire.GSON.fromJson(response.body(), HeartbeatAnswer.class);
        });
  }

  private HttpRequest request(String path, Object body, Duration timeout) {
    return HttpRequest.newBuilder(base.resolve(path))
        .timeout(timeout)
        .header("Content-Type", "application/json")
        .header(Wire.TOKEN_HEADER, token)
        .POST(HttpRequest.BodyPublishers.ofString(Wire.GSON.toJson(body)))
        .build();
  }

  void report(Reports r) throws IOException {
    post("agent/v1/report", r, Refusal.class, Duration.ofSeconds(10));
  }

  private <T> T post(String path, Object body, Class<T> answer, Duration timeout) throws IOException {
    HttpRequest request = request(path, body, timeout);
    HttpResponse<String> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while calling the manager", e);
    }
    if (response.statusCode() / 100 != 2) {
      Refusal refusal = null;
      try {
        refusal = Wire.GSON.fromJson(response.body(), Refusal.class);
      } catch (RuntimeException ignored) {
        // not our JSON: say the status
      }
      String why = "the manager refused " + path + " (HTTP " + response.statusCode() + "): "
          + (refusal != null && refusal.error() != null ? refusal.error() : response.body());
      // 4xx: this request is wrong and stays wrong; 5xx: the manager could not do it now (its database?).
      throw response.statusCode() / 100 == 4 ? new RefusedException(why, refusal != null ? refusal.reason() : null)
          : new IOException(why);
    }
    return Wire.GSON.fromJson(response.body(), answer);
  }
}
