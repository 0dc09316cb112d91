package org.vmqsc.agent.xen;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A VDI's raw bytes over XAPI's HTTP handlers on the pool master: {@code GET /export_raw_vdi} and
 * {@code PUT /import_raw_vdi}, each with {@code format=raw} and the session's reference (the master redirects to a
 * host that can reach the VDI's SR, and the client follows). A session XAPI no longer knows (HTTP 401 or 403) is
 * renewed once before any byte moved.
 */
final class VdiTransfer {

  private final XapiSession xapi;
  private final int timeoutMillis;

  VdiTransfer(XapiSession xapi, int timeoutMillis) {
    this.xapi = xapi;
    this.timeoutMillis = timeoutMillis;
  }

  /** The VDI's bytes, exactly {@code virtualSize} of them or a failure at the end of the stream. */
  InputStream export(String vdiRef, long virtualSize, String what) throws IOException {
    HttpURLConnection http = open("export_raw_vdi", vdiRef, "GET");
    if (http.getResponseCode() == 401 || http.getResponseCode() == 403) {
      http.disconnect();
      xapi.renew();
      http = open("export_raw_vdi", vdiRef, "GET");
    }
    int status = http.getResponseCode();
    if (status != 200) {
      http.disconnect();
      throw new IOException(what + " was refused: HTTP " + status + " " + http.getResponseMessage());
    }
    long announced = http.getContentLengthLong();
    if (announced >= 0 && announced != virtualSize) {
      http.disconnect();
      throw new IOException(what + " announced " + announced + " bytes; the VDI holds " + virtualSize);
    }
    return new ExactLengthStream(http.getInputStream(), virtualSize, what);
  }

  /** Writes {@code image} into the start of the VDI. */
  void importInto(String vdiRef, Path image, String what) throws IOException {
    for (int attempt = 1; ; attempt++) {
      HttpURLConnection http = open("import_raw_vdi", vdiRef, "PUT");
      long size = Files.size(image);
      http.setDoOutput(true);
      http.setFixedLengthStreamingMode(size);
      try (OutputStream out = http.getOutputStream(); InputStream in = Files.newInputStream(image)) {
        in.transferTo(out);
      }
      int status = http.getResponseCode();
      http.disconnect();
      if (status == 200) {
        return;
      }
      if ((status == 401 || status == 403) && attempt == 1) {
        xapi.renew();  // nothing was written: XAPI checks the session before it takes the body
        continue;
      }
      throw new IOException(what + " was refused: HTTP " + status);
    }
  }

  private HttpURLConnection open(String handler, String vdiRef, String method) throws IOException {
    URL url = new URL(xapi.master(), "/" + handler + "?session_id=" + encode(xapi.reference()) + "&vdi="
        + encode(vdiRef) + "&format=raw");
    HttpURLConnection http = (HttpURLConnection) url.openConnection();
    http.setRequestMethod(method);
    http.setConnectTimeout(timeoutMillis);
    http.setReadTimeout(timeoutMillis);
    http.setInstanceFollowRedirects(true);
    return http;
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
