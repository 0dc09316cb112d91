package org.vmqsc.server.api;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;

/**
 * A signed client of the manager's API (or of CloudStack's: same signing), for the lab, the UI tests and scripts.
 * Each call adds {@code command}, {@code response=json} and {@code apiKey}, signs, and returns the status and the
 * parsed body; it never throws for an API error, so callers can check error answers too.
 */
public final class ApiClient {

  /** An answer: HTTP status and the JSON body. */
  public record Reply(int status, JsonObject body) {

    /** What is inside {@code <command>response}. */
    public JsonObject response(String command) {
      return body.getAsJsonObject(command.toLowerCase(Locale.ROOT) + "response");
    }

    public boolean ok() {
      return status == 200;
    }
  }

  private final URI endpoint;
  private final String apiKey;
  private final String secretKey;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** @param endpoint e.g. http://127.0.0.1:8080/client/api */
  public ApiClient(URI endpoint, String apiKey, String secretKey) {
    this.endpoint = endpoint;
    this.apiKey = apiKey;
    this.secretKey = secretKey;
  }

  public ApiClient(URI endpoint, ApiKeys keys) {
    this(endpoint, keys.apiKey(), keys.secretKey());
  }

  /** GET with the parameters in the signed query string; {@code params} alternate names and values. */
  public Reply get(String command, String... params) throws IOException, InterruptedException {
    return send(HttpRequest.newBuilder(URI.create(endpoint + "?" + signedQuery(command, pairs(params)))).GET());
  }

  /** POST with the signed parameters as a form body, as CloudStack's UI sends changes. */
  public Reply post(String command, String... params) throws IOException, InterruptedException {
    return send(HttpRequest.newBuilder(endpoint)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(signedQuery(command, pairs(params)))));
  }

  /** GET with a query string exactly as given (unsigned unless it carries a signature): for tests of refusals. */
  public Reply raw(String query) throws IOException, InterruptedException {
    return send(HttpRequest.newBuilder(URI.create(endpoint + "?" + query)).GET());
  }

  /** The query string of a signed call: what a curl user would paste. */
  public String signedQuery(String command, Map<String, String> params) {
    Map<String, String> all = new LinkedHashMap<>();
    all.put("command", command);
    all.putAll(params);
    all.putIfAbsent("response", "json");
    all.put("apiKey", apiKey);
    StringJoiner query = new StringJoiner("&");
    all.forEach((k, v) -> query.add(Signatures.encode(k) + "=" + Signatures.encode(v)));
    return query + "&signature=" + Signatures.encode(Signatures.sign(all, secretKey));
  }

  /** Polls queryAsyncJobResult until the job is done (jobstatus 1 or 2) and returns its response. */
  public JsonObject awaitJob(String jobId, Duration timeout) throws IOException, InterruptedException {
    Instant deadline = Instant.now().plus(timeout);
    while (true) {
      Reply r = get("queryAsyncJobResult", "jobid", jobId);
      if (!r.ok()) throw new IOException("queryAsyncJobResult answered " + r.status() + ": " + r.body());
      JsonObject job = r.response("queryAsyncJobResult");
      if (job.get("jobstatus").getAsInt() != 0) return job;
      if (Instant.now().isAfter(deadline)) throw new IOException("job " + jobId + " still pending after " + timeout);
      Thread.sleep(50);
    }
  }

  private Reply send(HttpRequest.Builder request) throws IOException, InterruptedException {
    HttpResponse<String> response = http.send(request.timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
    JsonObject body;
    try {
      JsonElement parsed = JsonParser.parseString(response.body());
      body = parsed.isJsonObject() ? parsed.getAsJsonObject() : new JsonObject();
    } catch (JsonParseException e) {
      throw new IOException("not JSON (HTTP " + response.statusCode() + "): " + response.body(), e);
    }
    return new Reply(response.statusCode(), body);
  }

  private static Map<String, String> pairs(String... params) {
    if (params.length % 2 != 0) throw new IllegalArgumentException("parameters come as name, value pairs");
    Map<String, String> out = new LinkedHashMap<>();
    for (int i = 0; i < params.length; i += 2) out.put(params[i], params[i + 1]);
    return out;
  }
}
