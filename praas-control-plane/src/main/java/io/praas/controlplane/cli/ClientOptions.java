package io.praas.controlplane.cli;

import io.praas.client.Praas;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the client commands find the control plane and its admin key: the flag, else the
 * environment, else what {@code praas up} wrote into the data directory, else the default.
 */
public final class ClientOptions {
    static final String DEFAULT_URL = "http://127.0.0.1:8080";

    @Option(names = "--url", paramLabel = "URL",
            description = "Control-plane URL (default: env PRAAS_URL, else <data-dir>/api written by `praas up`, "
                    + "else " + DEFAULT_URL + ").")
    String url;

    @Option(names = "--admin-key", paramLabel = "KEY",
            description = "The REST API's admin key (default: env PRAAS_ADMIN_KEY, else <data-dir>/admin.key if present).")
    String adminKey;

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "${env:PRAAS_DATA_DIR:-praas-data}",
            description = "Data directory of a local `praas up` (default ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--json", description = "Print the API's JSON instead of lines.")
    boolean json;

    private String urlSource = "";
    private String keySource = "";

    /** A client for the chosen control plane. */
    Praas open() {
        String u = resolveUrl();
        String k = resolveKey();
        return Praas.builder().url(u).adminKey(k).build();
    }

    /** Where the URL came from, e.g. "--url" or "praas-data/api". */
    String urlSource() {
        return urlSource;
    }

    /** Where the admin key came from, or "" when none was sent. */
    String keySource() {
        return keySource;
    }

    private String resolveUrl() {
        if (url != null && !url.isBlank()) {
            urlSource = "--url";
            return url;
        }
        String env = System.getenv("PRAAS_URL");
        if (env != null && !env.isBlank()) {
            urlSource = "PRAAS_URL";
            return env;
        }
        String written = readFirstLine(dataDir.resolve("api"));
        if (written != null) {
            urlSource = dataDir.resolve("api").toString();
            return written;
        }
        urlSource = "the default";
        return DEFAULT_URL;
    }

    private String resolveKey() {
        if (adminKey != null && !adminKey.isBlank()) {
            keySource = "--admin-key";
            return adminKey;
        }
        String env = System.getenv("PRAAS_ADMIN_KEY");
        if (env != null && !env.isBlank()) {
            keySource = "PRAAS_ADMIN_KEY";
            return env;
        }
        String written = readFirstLine(dataDir.resolve("admin.key"));
        if (written != null) {
            keySource = dataDir.resolve("admin.key").toString();
            return written;
        }
        keySource = "";
        return null;
    }

    private static String readFirstLine(Path file) {
        if (file == null || !Files.isRegularFile(file)) {
            return null;
        }
        try {
            String s = Files.readString(file, StandardCharsets.UTF_8).strip();
            return s.isEmpty() ? null : s.lines().findFirst().orElse(null);
        } catch (IOException e) {
            return null;
        }
    }
}
