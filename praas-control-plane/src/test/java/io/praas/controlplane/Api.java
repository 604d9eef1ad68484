package io.praas.controlplane;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The tests' client of the REST API: JSON in, status, headers and body out, with the bearer token
 * it was made with.
 *
 * <pre>{@code
 * Api api = Api.admin(controlPlane);
 * Api.Reply r = api.post("/v1/applications", Map.of("name", "shop"));
 * assertThat(r.status()).isEqualTo(201);
 * }</pre>
 */
final class Api {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    /** Longer than a process allocation on a busy machine, short enough that a hang fails the test. */
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(90);

    private final String baseUrl;
    private final String authorization;

    private Api(String baseUrl, String authorization) {
        this.baseUrl = baseUrl;
        this.authorization = authorization;
    }

    /** A client with the node's admin key. */
    static Api admin(ControlPlane cp) {
        return new Api(cp.apiUrl(), "Bearer " + cp.adminKey());
    }

    /** The same node with {@code Authorization: Bearer token}. */
    Api bearer(String token) {
        return new Api(baseUrl, "Bearer " + token);
    }

    /** The same node with this raw Authorization header (null: none). */
    Api authorization(String header) {
        return new Api(baseUrl, header);
    }

    /** An answer of the API. */
    record Reply(int status, byte[] body, HttpHeaders headers, Duration took) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("HTTP " + status + " body is not JSON: " + text(), e);
            }
        }

        String contentType() {
            return headers.firstValue("Content-Type").orElse("");
        }

        /** The JSON error code of an error answer. */
        String error() {
            return json().path("error").asText();
        }

        @Override
        public String toString() {
            return "HTTP " + status + " " + text();
        }
    }

    Reply get(String path) {
        return send("GET", path, null, null);
    }

    Reply delete(String path) {
        return send("DELETE", path, null, null);
    }

    /** POST with a JSON body made from {@code body} (null: no body). */
    Reply post(String path, Object body) {
        return body == null ? send("POST", path, null, null) : send("POST", path, json(body), "application/json");
    }

    Reply postRaw(String path, byte[] body, String contentType) {
        return send("POST", path, body, contentType);
    }

    Reply put(String path, byte[] body, String contentType) {
        return send("PUT", path, body, contentType);
    }

    /** Invokes {@code function} of {@code app} through the control plane; {@code query} may be "". */
    Reply invoke(String app, String function, String query, byte[] input) {
        return postRaw("/v1/applications/" + app + "/functions/" + function + "/invoke" + query, input,
                "application/octet-stream");
    }

    Reply send(String method, String path, byte[] body, String contentType) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(REQUEST_TIMEOUT)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        long start = System.nanoTime();
        try {
            HttpResponse<byte[]> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            return new Reply(r.statusCode(), r.body(), r.headers(), Duration.ofNanos(System.nanoTime() - start));
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + path + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + method + " " + path, e);
        }
    }

    static byte[] json(Object value) {
        try {
            return JSON.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** Asserts that {@code r} is the API's JSON error: this status, this code and a message. */
    static void assertJsonError(Reply r, int status, String code) {
        assertThat(r.status()).as("status of %s", r).isEqualTo(status);
        assertThat(r.contentType()).as("content type of %s", r).startsWith("application/json");
        JsonNode body = r.json();
        assertThat(body.path("error").asText()).as("error code of %s", r).isEqualTo(code);
        assertThat(body.path("message").asText()).as("message of %s", r).isNotBlank();
    }
}
