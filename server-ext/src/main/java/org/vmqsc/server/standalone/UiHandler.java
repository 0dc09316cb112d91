package org.vmqsc.server.standalone;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The admin UI's built page (ui-ext's {@code dist/}) at {@code /ui/}: static files from one folder, read-only, GET
 * and HEAD only; {@code /ui} redirects to {@code /ui/}, and {@code /ui/} is {@code index.html}. The page calls the
 * API at {@code /client/api} on the same origin, signing each request with the admin's key pair.
 *
 * <p>The folder is the system property {@code vmqsc.ui.dir}, else the environment variable {@code VMQSC_UI_DIR}
 * (which {@code ./vmqsc} sets to {@code ui-ext/dist} once the page is built). Without one, {@code /ui/} answers a
 * short page that says how to build it. Every other path is left to the next handler.
 */
public final class UiHandler extends Handler.Abstract {

  static final String PREFIX = "/ui";

  private static final Map<String, String> TYPES = Map.of(
      "html", "text/html; charset=UTF-8", "js", "text/javascript; charset=UTF-8", "css", "text/css; charset=UTF-8",
      "svg", "image/svg+xml", "png", "image/png", "ico", "image/x-icon", "json", "application/json; charset=UTF-8",
      "woff2", "font/woff2", "map", "application/json; charset=UTF-8");

  private final Path root;

  /** @param root the built page's folder, or null when the page is not built */
  public UiHandler(Path root) {
    this.root = root == null ? null : root.toAbsolutePath().normalize();
  }

  /** From {@code -Dvmqsc.ui.dir} or {@code VMQSC_UI_DIR}; a folder without an index.html counts as none. */
  public static UiHandler fromEnvironment() {
    String dir = System.getProperty("vmqsc.ui.dir");
    if (dir == null || dir.isBlank()) dir = System.getenv("VMQSC_UI_DIR");
    if (dir == null || dir.isBlank()) return new UiHandler(null);
    Path root = Path.of(dir);
    return new UiHandler(Files.isRegularFile(root.resolve("index.html")) ? root : null);
  }

  /** Whether a built page is served. */
  public boolean built() {
    return root != null;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws IOException {
    String path = Request.getPathInContext(request);
    if (!path.equals(PREFIX) && !path.startsWith(PREFIX + "/")) return false;
    String method = request.getMethod();
    if (!HttpMethod.GET.is(method) && !HttpMethod.HEAD.is(method)) {
      return text(response, callback, 405, "use GET");
    }
    if (path.equals(PREFIX)) {
      response.setStatus(302);
      response.getHeaders().put(HttpHeader.LOCATION, PREFIX + "/");
      callback.succeeded();
      return true;
    }
    if (root == null) {
      return text(response, callback, 404, "The admin UI is not built. Build it with `npm ci && npm run build` in"
          + " ui-ext/ (./vmqsc does this when npm is installed), then start the manager again.");
    }
    String relative = path.substring(PREFIX.length() + 1);
    if (relative.isEmpty()) relative = "index.html";
    Path file = root.resolve(relative).normalize();
    if (!file.startsWith(root) || relative.contains("\\") || !Files.isRegularFile(file)) {
      return text(response, callback, 404, "not found");
    }
    String name = file.getFileName().toString();
    String ext = name.contains(".") ? name.substring(name.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT) : "";
    byte[] body = Files.readAllBytes(file);
    response.setStatus(200);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, TYPES.getOrDefault(ext, "application/octet-stream"));
    response.getHeaders().put("X-Content-Type-Options", "nosniff");
    // Vite names every asset by its content hash: those never change; index.html must be read again.
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, relative.startsWith("assets/")
        ? "public, max-age=31536000, immutable" : "no-cache");
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
    response.write(true, HttpMethod.HEAD.is(method) ? ByteBuffer.allocate(0) : ByteBuffer.wrap(body), callback);
    return true;
  }

  private static boolean text(Response response, Callback callback, int status, String message) {
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=UTF-8");
    response.write(true, ByteBuffer.wrap((message + "\n").getBytes(StandardCharsets.UTF_8)), callback);
    return true;
  }
}
