package io.praas.client;

import com.fasterxml.jackson.databind.JsonNode;
import io.praas.codec.Codec;
import io.praas.protocol.ErrorCode;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The client of the control plane's REST API (openapi.yaml): applications, their code and
 * tokens, processes (create, stop, swap out and in, delete), invocation through the control
 * plane, and {@link #connect(ProcessInfo) connections} to a process's data plane for direct,
 * low-latency invocations.
 *
 * <pre>{@code
 * try (Praas praas = Praas.builder().url("http://127.0.0.1:8080").adminKey(key).build()) {
 *     praas.createApplication(ApplicationSpec.named("shop").withMaxProcesses(4));
 *     praas.uploadCode("shop", Path.of("shop.jar"));
 *
 *     // through the control plane: it picks (or allocates) a process
 *     InvokeResult r = praas.invoke("shop", "echo", "hi".getBytes(UTF_8));
 *
 *     // directly: a process of your own and its data plane
 *     ProcessInfo p = praas.createProcess("shop");
 *     try (ProcessClient client = praas.connect(p)) {
 *         byte[] out = client.invoke("echo", "hi".getBytes(UTF_8));
 *     }
 * }
 * }</pre>
 *
 * <p>Every call has a blocking form and an {@code ...Async} form returning a
 * {@link CompletableFuture}. Failures are {@link PraasApiException} (an HTTP error answer, with its
 * status and error code), {@link PraasConnectionException} (the control plane cannot be reached),
 * or a {@link PraasException} with {@link ErrorCode#TIMEOUT} (no answer in time). Thread-safe.
 */
public final class Praas implements AutoCloseable {
    /** Extra time a request through the control plane waits beyond the invocation's own timeout. */
    private static final Duration INVOKE_GRACE = Duration.ofSeconds(10);
    private static final String JSON = "application/json";
    private static final String USER_AGENT = "praas-java-sdk/0.1";

    private final String base;
    private final String adminKey;
    private final Duration timeout;
    private final Duration connectTimeout;
    private final HttpClient http;
    private volatile boolean closed;

    private Praas(Builder b) {
        this.base = b.url;
        this.adminKey = b.adminKey;
        this.timeout = b.timeout;
        this.connectTimeout = b.connectTimeout;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(b.connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The control plane's base URL, e.g. {@code http://127.0.0.1:8080}. */
    public String url() {
        return base;
    }

    // ---- node

    /** {@code GET /v1/health}: whether the node serves (needs no key). */
    public Health health() {
        return send(healthCall());
    }

    public CompletableFuture<Health> healthAsync() {
        return sendAsync(healthCall());
    }

    /** {@code GET /v1/openapi.yaml}: the API's OpenAPI document. */
    public String openapi() {
        return send(openapiCall());
    }

    public CompletableFuture<String> openapiAsync() {
        return sendAsync(openapiCall());
    }

    // ---- applications

    /** {@code POST /v1/applications}: creates an application (without code; see {@link #uploadCode}). */
    public Application createApplication(ApplicationSpec spec) {
        return send(createApplicationCall(spec));
    }

    public CompletableFuture<Application> createApplicationAsync(ApplicationSpec spec) {
        return sendAsync(createApplicationCall(spec));
    }

    /** {@code GET /v1/applications}. */
    public List<Application> listApplications() {
        return send(listApplicationsCall());
    }

    public CompletableFuture<List<Application>> listApplicationsAsync() {
        return sendAsync(listApplicationsCall());
    }

    /** {@code GET /v1/applications/{app}}. */
    public Application getApplication(String application) {
        return send(getApplicationCall(application));
    }

    public CompletableFuture<Application> getApplicationAsync(String application) {
        return sendAsync(getApplicationCall(application));
    }

    /** {@code DELETE /v1/applications/{app}}: stops and deletes its processes, then it and its code. */
    public void deleteApplication(String application) {
        send(deleteApplicationCall(application));
    }

    public CompletableFuture<Void> deleteApplicationAsync(String application) {
        return sendAsync(deleteApplicationCall(application));
    }

    /** {@code PUT /v1/applications/{app}/code}: uploads the application's jar; new processes run it. */
    public Application uploadCode(String application, Path jar) {
        return send(uploadCodeCall(application, jar));
    }

    public CompletableFuture<Application> uploadCodeAsync(String application, Path jar) {
        return sendAsync(uploadCodeCall(application, jar));
    }

    /** {@code PUT /v1/applications/{app}/code} with the jar's bytes. */
    public Application uploadCode(String application, byte[] jar) {
        return send(uploadCodeCall(application, jar));
    }

    public CompletableFuture<Application> uploadCodeAsync(String application, byte[] jar) {
        return sendAsync(uploadCodeCall(application, jar));
    }

    /** {@code POST /v1/applications/{app}/tokens}: a data-plane token for any process of the application (24 h). */
    public IssuedToken issueToken(String application) {
        return issueToken(application, null, null);
    }

    /**
     * {@code POST /v1/applications/{app}/tokens}: a data-plane token for the application.
     *
     * @param process the one process it is for, or null for any
     * @param ttl     how long it is valid, or null for the control plane's default (24 h)
     */
    public IssuedToken issueToken(String application, String process, Duration ttl) {
        return send(issueTokenCall(application, process, ttl));
    }

    public CompletableFuture<IssuedToken> issueTokenAsync(String application, String process, Duration ttl) {
        return sendAsync(issueTokenCall(application, process, ttl));
    }

    // ---- processes

    /** {@code POST /v1/applications/{app}/processes}: allocates a process and waits until it is ACTIVE. */
    public ProcessInfo createProcess(String application) {
        return createProcess(application, ProcessSpec.DEFAULT);
    }

    /**
     * {@code POST /v1/applications/{app}/processes}: allocates a process and waits until it is
     * ACTIVE. The answer carries its endpoint and a data-plane token for it.
     */
    public ProcessInfo createProcess(String application, ProcessSpec spec) {
        return send(createProcessCall(application, spec));
    }

    public CompletableFuture<ProcessInfo> createProcessAsync(String application, ProcessSpec spec) {
        return sendAsync(createProcessCall(application, spec));
    }

    /** {@code GET /v1/applications/{app}/processes}. */
    public List<ProcessInfo> listProcesses(String application) {
        return listProcesses(application, null);
    }

    /** {@code GET /v1/applications/{app}/processes?status=S}; a null status lists all. */
    public List<ProcessInfo> listProcesses(String application, ProcessStatus status) {
        return send(listProcessesCall(application, status));
    }

    public CompletableFuture<List<ProcessInfo>> listProcessesAsync(String application, ProcessStatus status) {
        return sendAsync(listProcessesCall(application, status));
    }

    /** {@code GET /v1/applications/{app}/processes/{process}}. */
    public ProcessInfo getProcess(String application, String process) {
        return send(getProcessCall(application, process));
    }

    public CompletableFuture<ProcessInfo> getProcessAsync(String application, String process) {
        return sendAsync(getProcessCall(application, process));
    }

    /** {@code POST /v1/applications/{app}/processes/{process}/stop}: stops it gracefully; its state is dropped. */
    public ProcessInfo stopProcess(String application, String process) {
        return send(stopProcessCall(application, process));
    }

    public CompletableFuture<ProcessInfo> stopProcessAsync(String application, String process) {
        return sendAsync(stopProcessCall(application, process));
    }

    /**
     * {@code POST /v1/applications/{app}/processes/{process}/swap}: the process drains, writes its
     * state and sessions as a snapshot to object storage and exits; answers SWAPPED_OUT with the
     * snapshot. A snapshot that cannot be written answers 502 SWAP_FAILED and the process serves again.
     */
    public ProcessInfo swapOut(String application, String process) {
        return send(swapCall(application, process, "/swap"));
    }

    public CompletableFuture<ProcessInfo> swapOutAsync(String application, String process) {
        return sendAsync(swapCall(application, process, "/swap"));
    }

    /**
     * {@code POST /v1/applications/{app}/processes/{process}/swapin}: a process with the same id
     * restores the last snapshot before it serves, and its sessions resume by id. An ACTIVE process
     * is returned as it is.
     */
    public ProcessInfo swapIn(String application, String process) {
        return send(swapCall(application, process, "/swapin"));
    }

    public CompletableFuture<ProcessInfo> swapInAsync(String application, String process) {
        return sendAsync(swapCall(application, process, "/swapin"));
    }

    /** {@code DELETE /v1/applications/{app}/processes/{process}}: stops it if it runs and removes it. */
    public void deleteProcess(String application, String process) {
        send(deleteProcessCall(application, process));
    }

    public CompletableFuture<Void> deleteProcessAsync(String application, String process) {
        return sendAsync(deleteProcessCall(application, process));
    }

    // ---- invocation through the control plane

    /** {@code POST /v1/applications/{app}/functions/{function}/invoke} on any process. */
    public InvokeResult invoke(String application, String function, byte[] input) {
        return invoke(application, function, input, InvokeOptions.DEFAULT);
    }

    /**
     * {@code POST /v1/applications/{app}/functions/{function}/invoke}: the control plane runs it on
     * {@code options.process()} (swapping it in if needed), else on an ACTIVE process with spare
     * capacity, else on a new one.
     */
    public InvokeResult invoke(String application, String function, byte[] input, InvokeOptions options) {
        return send(invokeCall(application, function, input, options));
    }

    /** Invokes with typed input and output. */
    public <I, O> O invoke(String application, String function, I input, Codec<I> in, Codec<O> out) {
        return out.decode(invoke(application, function, in.encode(input)).output());
    }

    public CompletableFuture<InvokeResult> invokeAsync(String application, String function, byte[] input) {
        return invokeAsync(application, function, input, InvokeOptions.DEFAULT);
    }

    public CompletableFuture<InvokeResult> invokeAsync(String application, String function, byte[] input,
                                                       InvokeOptions options) {
        return sendAsync(invokeCall(application, function, input, options));
    }

    // ---- the data plane

    /**
     * Connects to the process's data plane, with the token of {@code process} (from
     * {@link #createProcess}) or, when it has none, a token issued for it now. A process that is
     * not ACTIVE is looked up again first; one that is swapped out (or swapping) is swapped in,
     * which this call waits for. The caller closes the returned client.
     *
     * @throws PraasException with {@link ErrorCode#PROCESS_UNAVAILABLE} when the process has no
     *                        data-plane endpoint (still starting, stopped, failed), or the
     *                        {@link PraasApiException} of its swap-in (502 SWAP_FAILED when its
     *                        snapshot cannot be restored)
     *
     * <p>The connection follows the process: when it swaps out or restarts, the client swaps it
     * back in through the control plane, reconnects, resumes its sessions and sends again the
     * requests that never started (see {@link ProcessClient.Builder#reconnector}).
     */
    public ProcessClient connect(ProcessInfo process) {
        Objects.requireNonNull(process, "process");
        ProcessInfo found = process.isActive() ? process : getProcess(process.application(), process.id());
        ProcessInfo p = found.status() == ProcessStatus.SWAPPING_OUT || found.status() == ProcessStatus.SWAPPED_OUT
                || found.status() == ProcessStatus.SWAPPING_IN
                ? swapIn(found.application(), found.id()) // ACTIVE, or it throws why not
                : found;
        if (!p.isActive()) {
            String todo = p.status() == ProcessStatus.ALLOCATING ? "wait until it is ACTIVE" : "create another process";
            throw new PraasException(ErrorCode.PROCESS_UNAVAILABLE, "process '" + p.id() + "' of application '"
                    + p.application() + "' is " + p.status() + " and has no data-plane endpoint"
                    + (p.failure() == null ? "" : " (" + p.failure() + ")") + "; " + todo);
        }
        String token = process.token() != null ? process.token() : issueToken(p.application(), p.id(), null).token();
        return ProcessClient.builder()
                .address(p.endpoint().host(), p.endpoint().port())
                .application(p.application())
                .token(token)
                .connectTimeout(connectTimeout)
                .reconnector(id -> locate(p.application(), id))
                .connect();
    }

    /**
     * Where a process serves now: it is swapped in when it is swapped out (and waited for while it
     * swaps or restarts); used by connections from {@link #connect} to reconnect by themselves.
     */
    private Reconnector.Endpoint locate(String application, String processId) {
        ProcessInfo p = swapIn(application, processId); // ACTIVE ones come back as they are
        String token = p.token() != null ? p.token() : issueToken(application, processId, null).token();
        return new Reconnector.Endpoint(p.endpoint().host(), p.endpoint().port(), token);
    }

    /** Looks up process {@code processId} of {@code application} and {@link #connect(ProcessInfo) connects} to it. */
    public ProcessClient connect(String application, String processId) {
        return connect(getProcess(application, processId));
    }

    /** {@link #connect(ProcessInfo)} on a thread of its own. */
    public CompletableFuture<ProcessClient> connectAsync(ProcessInfo process) {
        return CompletableFuture.supplyAsync(() -> connect(process), r -> {
            Thread t = new Thread(r, "praas-connect");
            t.setDaemon(true);
            t.start();
        });
    }

    /**
     * Closes this client. Connections returned by {@link #connect} stay open; close them yourself.
     * On JDK 21 and newer this waits for requests in flight and frees the HTTP client's threads.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (http instanceof AutoCloseable c) { // java.net.http.HttpClient is AutoCloseable from JDK 21
            try {
                c.close();
            } catch (Exception e) {
                // nothing left to release
            }
        }
    }

    // ---- the calls

    private Call<Health> healthCall() {
        return new Call<>(request("GET", "/v1/health", false).GET().build(),
                json(ApiJson::health));
    }

    private Call<String> openapiCall() {
        return new Call<>(request("GET", "/v1/openapi.yaml", false).GET().build(),
                r -> new String(r.body(), StandardCharsets.UTF_8));
    }

    private Call<Application> createApplicationCall(ApplicationSpec spec) {
        Objects.requireNonNull(spec, "spec");
        return new Call<>(post("/v1/applications", jsonBody(() -> ApiJson.applicationSpec(spec))),
                json(ApiJson::application));
    }

    private Call<List<Application>> listApplicationsCall() {
        return new Call<>(request("GET", "/v1/applications", true).GET().build(),
                json(n -> ApiJson.list(n, ApiJson::application)));
    }

    private Call<Application> getApplicationCall(String application) {
        return new Call<>(request("GET", appPath(application), true).GET().build(), json(ApiJson::application));
    }

    private Call<Void> deleteApplicationCall(String application) {
        return new Call<>(request("DELETE", appPath(application), true).DELETE().build(), r -> null);
    }

    private Call<Application> uploadCodeCall(String application, Path jar) {
        Objects.requireNonNull(jar, "jar");
        HttpRequest.BodyPublisher body;
        try {
            if (!Files.isRegularFile(jar)) {
                throw new FileNotFoundException(jar + " is not a file");
            }
            body = HttpRequest.BodyPublishers.ofFile(jar);
        } catch (FileNotFoundException e) {
            throw new UncheckedIOException("cannot upload the code of '" + application + "': " + e.getMessage(), e);
        }
        return uploadCodeCall(application, body);
    }

    private Call<Application> uploadCodeCall(String application, byte[] jar) {
        Objects.requireNonNull(jar, "jar");
        return uploadCodeCall(application, HttpRequest.BodyPublishers.ofByteArray(jar));
    }

    private Call<Application> uploadCodeCall(String application, HttpRequest.BodyPublisher body) {
        return new Call<>(request("PUT", appPath(application) + "/code", true)
                .header("Content-Type", "application/java-archive").PUT(body).build(), json(ApiJson::application));
    }

    private Call<IssuedToken> issueTokenCall(String application, String process, Duration ttl) {
        if (ttl != null && (ttl.isNegative() || ttl.toSeconds() < 1)) {
            throw new IllegalArgumentException("ttl must be at least 1 s: " + ttl);
        }
        return new Call<>(post(appPath(application) + "/tokens", jsonBody(() -> ApiJson.tokenRequest(process, ttl))),
                json(ApiJson::token));
    }

    private Call<ProcessInfo> createProcessCall(String application, ProcessSpec spec) {
        ProcessSpec s = spec == null ? ProcessSpec.DEFAULT : spec;
        return new Call<>(post(appPath(application) + "/processes", jsonBody(() -> ApiJson.processSpec(s))),
                json(ApiJson::process));
    }

    private Call<List<ProcessInfo>> listProcessesCall(String application, ProcessStatus status) {
        if (status == ProcessStatus.UNKNOWN) {
            throw new IllegalArgumentException("UNKNOWN is no status to filter by; pass null to list all");
        }
        String query = status == null ? "" : "?status=" + status.name();
        return new Call<>(request("GET", appPath(application) + "/processes" + query, true).GET().build(),
                json(n -> ApiJson.list(n, ApiJson::process)));
    }

    private Call<ProcessInfo> getProcessCall(String application, String process) {
        return new Call<>(request("GET", processPath(application, process), true).GET().build(),
                json(ApiJson::process));
    }

    private Call<ProcessInfo> stopProcessCall(String application, String process) {
        return new Call<>(request("POST", processPath(application, process) + "/stop", true)
                .POST(HttpRequest.BodyPublishers.noBody()).build(), json(ApiJson::process));
    }

    private Call<ProcessInfo> swapCall(String application, String process, String action) {
        return new Call<>(request("POST", processPath(application, process) + action, true)
                .POST(HttpRequest.BodyPublishers.noBody()).build(), json(ApiJson::process));
    }

    private Call<Void> deleteProcessCall(String application, String process) {
        return new Call<>(request("DELETE", processPath(application, process), true).DELETE().build(), r -> null);
    }

    private Call<InvokeResult> invokeCall(String application, String function, byte[] input, InvokeOptions options) {
        Objects.requireNonNull(input, "input");
        InvokeOptions o = options == null ? InvokeOptions.DEFAULT : options;
        StringBuilder path = new StringBuilder(appPath(application)).append("/functions/")
                .append(segment(function, "function")).append("/invoke");
        char sep = '?';
        if (o.process() != null) {
            path.append(sep).append("process=").append(encode(o.process()));
            sep = '&';
        }
        if (o.session() != null) {
            path.append(sep).append("session=").append(encode(o.session()));
            sep = '&';
        }
        if (o.timeout() != null) {
            path.append(sep).append("timeoutMs=").append(o.timeout().toMillis());
        }
        HttpRequest.Builder b = request("POST", path.toString(), true)
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(input));
        if (o.timeout() != null && o.timeout().plus(INVOKE_GRACE).compareTo(timeout) > 0) {
            b.timeout(o.timeout().plus(INVOKE_GRACE));
        }
        return new Call<>(b.build(), r -> new InvokeResult(r.body(),
                r.headers().firstValue("X-Praas-Process").orElse(null)));
    }

    // ---- requests

    private HttpRequest post(String path, HttpRequest.BodyPublisher json) {
        return request("POST", path, true).header("Content-Type", JSON).POST(json).build();
    }

    private HttpRequest.Builder request(String method, String path, boolean authenticated) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
                .timeout(timeout)
                .header("User-Agent", USER_AGENT);
        if (authenticated && adminKey != null) {
            b.header("Authorization", "Bearer " + adminKey);
        }
        return b;
    }

    private interface JsonWriter {
        byte[] write() throws IOException;
    }

    private static HttpRequest.BodyPublisher jsonBody(JsonWriter w) {
        try {
            return HttpRequest.BodyPublishers.ofByteArray(w.write());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String appPath(String application) {
        return "/v1/applications/" + segment(application, "application");
    }

    private static String processPath(String application, String process) {
        return appPath(application) + "/processes/" + segment(process, "process");
    }

    private static String segment(String value, String what) {
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException(what + " name must not be empty");
        }
        return encode(value);
    }

    /** Percent-encodes everything but RFC 3986's unreserved characters (valid in a path segment and a query). */
    static String encode(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xFF;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '.' || c == '_' || c == '~') {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
            }
        }
        return out.toString();
    }

    // ---- answers

    private interface Answer<T> {
        T read(HttpResponse<byte[]> response) throws IOException;
    }

    private interface JsonAnswer<T> {
        T read(JsonNode node) throws IOException;
    }

    private static <T> Answer<T> json(JsonAnswer<T> reader) {
        return r -> reader.read(ApiJson.read(r.body()));
    }

    private record Call<T>(HttpRequest request, Answer<T> answer) {
    }

    private <T> T send(Call<T> call) {
        ensureOpen();
        HttpResponse<byte[]> response;
        try {
            response = http.send(call.request(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw transportFailure(call.request(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PraasException(ErrorCode.UNKNOWN, "interrupted while waiting for " + describe(call.request()), e,
                    isInvoke(call.request()));
        }
        return answer(call, response);
    }

    private <T> CompletableFuture<T> sendAsync(Call<T> call) {
        CompletableFuture<T> result = new CompletableFuture<>();
        if (closed) {
            result.completeExceptionally(new IllegalStateException("this Praas client is closed"));
            return result;
        }
        http.sendAsync(call.request(), HttpResponse.BodyHandlers.ofByteArray()).whenComplete((response, err) -> {
            try {
                if (err != null) {
                    result.completeExceptionally(transportFailure(call.request(), err));
                } else {
                    result.complete(answer(call, response));
                }
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        });
        return result;
    }

    private <T> T answer(Call<T> call, HttpResponse<byte[]> response) {
        int status = response.statusCode();
        if (status < 200 || status > 299) {
            throw apiError(response);
        }
        try {
            return call.answer().read(response);
        } catch (PraasException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new PraasException(ErrorCode.UNKNOWN, "unexpected answer to " + describe(call.request())
                    + " (HTTP " + status + "): " + e.getMessage() + "; is " + base + " a PraaS control plane?", e);
        }
    }

    private PraasApiException apiError(HttpResponse<byte[]> response) {
        int status = response.statusCode();
        String error = null;
        String message = null;
        try {
            JsonNode n = ApiJson.read(response.body());
            if (n.isObject() && n.hasNonNull("error")) {
                error = n.get("error").asText();
                message = n.path("message").asText("");
            }
        } catch (IOException e) {
            // not the API's error body: a proxy's page, or another server
        }
        if (error == null) {
            error = "HTTP_" + status;
            String line = new String(response.body(), StandardCharsets.UTF_8).strip().lines().findFirst().orElse("");
            message = line.isEmpty() ? "no error body from " + describe(response.request())
                    : line.substring(0, Math.min(200, line.length()));
        }
        return new PraasApiException(status, error, message, hint(status, error, message),
                isInvoke(response.request()) && mayHaveRun(status, error));
    }

    /** True for the invoke route, whose failures may leave the function run (or running) on a process. */
    private static boolean isInvoke(HttpRequest request) {
        String path = request.uri().getRawPath();
        return path.startsWith("/v1/applications/") && path.contains("/functions/") && path.endsWith("/invoke");
    }

    /**
     * Whether an invocation the control plane answered with this error may have run: not when it was
     * refused (4xx, 429) or ran and failed (FUNCTION_FAILED, STATE_LIMIT_EXCEEDED); else (a timeout,
     * the process gone mid-call, a bad gateway, an internal error) it may have.
     */
    private static boolean mayHaveRun(int status, String error) {
        return status >= 500 && !error.equals("FUNCTION_FAILED") && !error.equals("STATE_LIMIT_EXCEEDED");
    }

    private String hint(int status, String error, String message) {
        return switch (error) {
            case "UNAUTHENTICATED" -> adminKey == null
                    ? "this control plane requires its admin key (printed by `praas up`, also in <data-dir>/admin.key)"
                    : "the key is not this control plane's admin key; use the one printed by `praas up` "
                    + "(also in <data-dir>/admin.key)";
            case "NOT_FOUND" -> message.startsWith("no route") ? "is " + base + " a PraaS control plane (API v1)?" : "";
            case "PAYLOAD_TOO_LARGE" -> "send less: the limit is set on the control plane";
            case "OVERLOADED" -> "retry later";
            case "TIMEOUT" -> "give the invocation more time (timeoutMs) or make the function faster";
            case "FUNCTION_FAILED" -> "the function threw; the process's log has the stack trace";
            case "PROCESS_UNAVAILABLE", "BAD_GATEWAY" -> "retry; the process's status and failure show why";
            case "SWAP_FAILED" -> "the process keeps its last good state (see its status); the log says why";
            case "INTERNAL" -> "the control plane's log has the details";
            default -> status >= 500 && error.startsWith("HTTP_") ? "is " + base + " a PraaS control plane?" : "";
        };
    }

    private PraasException transportFailure(HttpRequest request, Throwable err) {
        Throwable t = err;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof HttpConnectTimeoutException) {
            return new PraasConnectionException("cannot connect to the PraaS control plane at " + base + " within "
                    + connectTimeout.toMillis() + " ms; is it running (`praas up`) and reachable from here?", t);
        }
        if (t instanceof HttpTimeoutException) {
            return new PraasException(ErrorCode.TIMEOUT, "no answer from the control plane at " + base + " to "
                    + describe(request) + " within " + request.timeout().orElse(timeout).toMillis()
                    + " ms; raise the client's timeout", t, isInvoke(request));
        }
        if (t instanceof ConnectException) {
            return new PraasConnectionException("cannot connect to the PraaS control plane at " + base
                    + " (connection refused); start it with `praas up`, or check the URL", t);
        }
        if (t instanceof IOException) {
            // Lost after it was sent: an invocation may have run.
            return new PraasConnectionException("lost the connection to the PraaS control plane at " + base
                    + " during " + describe(request) + ": " + t, t, isInvoke(request));
        }
        return t instanceof PraasException p ? p : new PraasException(ErrorCode.UNKNOWN, describe(request)
                + " failed: " + t, t);
    }

    private static String describe(HttpRequest request) {
        return request.method() + " " + request.uri().getRawPath();
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("this Praas client is closed");
        }
    }

    /**
     * Settings of a {@link Praas} client.
     *
     * <pre>{@code
     * Praas praas = Praas.builder()
     *         .url("http://127.0.0.1:8080")
     *         .adminKey(System.getenv("PRAAS_ADMIN_KEY"))
     *         .timeout(Duration.ofMinutes(2))
     *         .build();
     * }</pre>
     */
    public static final class Builder {
        private String url = "http://127.0.0.1:8080";
        private String adminKey;
        private Duration timeout = Duration.ofMinutes(2);
        private Duration connectTimeout = Duration.ofSeconds(10);

        private Builder() {
        }

        /** The control plane's base URL (default {@code http://127.0.0.1:8080}). */
        public Builder url(String url) {
            Objects.requireNonNull(url, "url");
            String u = url.strip();
            while (u.endsWith("/")) {
                u = u.substring(0, u.length() - 1);
            }
            try {
                URI parsed = new URI(u);
                if (!"http".equalsIgnoreCase(parsed.getScheme()) && !"https".equalsIgnoreCase(parsed.getScheme())
                        || parsed.getHost() == null || parsed.getRawQuery() != null || parsed.getRawFragment() != null) {
                    throw new URISyntaxException(url, "expected http(s)://host[:port][/prefix]");
                }
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("not a control-plane URL: '" + url + "' (expected e.g. "
                        + "http://127.0.0.1:8080)", e);
            }
            this.url = u;
            return this;
        }

        /**
         * The bearer key of the REST API: the admin key the control plane printed at start (or an
         * application token, which may only invoke). Null or blank sends none (a control plane in
         * dev mode).
         */
        public Builder adminKey(String adminKey) {
            this.adminKey = adminKey == null || adminKey.isBlank() ? null : adminKey.strip();
            return this;
        }

        /**
         * How long each request waits for its answer (default 2 minutes: creating a process waits
         * until it is ACTIVE). An invocation with a longer timeout of its own waits that long.
         */
        public Builder timeout(Duration timeout) {
            this.timeout = positive(timeout, "timeout");
            return this;
        }

        /** How long connecting to the control plane (and to a process, in {@link Praas#connect(ProcessInfo)}) may take (10 s). */
        public Builder connectTimeout(Duration connectTimeout) {
            this.connectTimeout = positive(connectTimeout, "connectTimeout");
            return this;
        }

        public Praas build() {
            return new Praas(this);
        }

        private static Duration positive(Duration d, String what) {
            Objects.requireNonNull(d, what);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(what + " must be positive: " + d);
            }
            return d;
        }
    }
}
