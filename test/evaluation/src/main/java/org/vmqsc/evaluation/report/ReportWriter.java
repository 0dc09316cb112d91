package org.vmqsc.evaluation.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.vmqsc.evaluation.Metrics;

/** Writes results.csv, results.md, one SVG chart per metric and report.html into a folder. */
public final class ReportWriter {
  private ReportWriter() {}

  /** @return the files written */
  public static List<Path> write(Path dir, List<Metrics> rows, String notesMarkdown) throws IOException {
    Files.createDirectories(dir);
    Path csv = dir.resolve("results.csv"), md = dir.resolve("results.md"), html = dir.resolve("report.html");
    writeAtomically(csv, CsvReport.render(rows));
    writeAtomically(md, MarkdownReport.render(rows, "") + (notesMarkdown.isEmpty() ? "" : "\n" + notesMarkdown));
    Map<String, String> charts = new LinkedHashMap<>();
    for (Map.Entry<String, String> d : Metrics.DESCRIPTIONS.entrySet()) {
      if (d.getKey().equals("messages") || d.getKey().equals("bytes")) continue;
      String svg = SvgBarChart.render(d.getKey(), d.getValue(), rows);
      charts.put(d.getKey(), svg);
      writeAtomically(dir.resolve("chart-" + d.getKey() + ".svg"), svg);
    }
    String notesHtml = notesMarkdown.isEmpty() ? "" : "<pre>" + SvgBarChart.escape(notesMarkdown) + "</pre>";
    writeAtomically(html, HtmlReport.render(rows, charts, notesHtml));
    return List.of(csv, md, html);
  }

  /** Write to a temporary file then move it, so an interrupted run never leaves a half-written report. */
  private static void writeAtomically(Path target, String content) throws IOException {
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
    Files.writeString(tmp, content, StandardCharsets.UTF_8);
    Files.move(tmp, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }
}
