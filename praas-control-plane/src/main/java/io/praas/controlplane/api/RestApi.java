package io.praas.controlplane.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.praas.auth.DataPlaneToken;
import io.praas.auth.InvalidTokenException;
import io.praas.backend.Resources;
import io.praas.controlplane.ControlPlaneException;
import io.praas.controlplane.ControlPlaneException.Code;
import io.praas.controlplane.lifecycle.ProcessLifecycle;
import io.praas.controlplane.registry.ApplicationRecord;
import io.praas.controlplane.registry.ProcessRecord;
import io.praas.controlplane.registry.ProcessStatus;
import io.praas.controlplane.routing.InvocationRouter;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

/**
 * The REST API under {@code /v1} (documented in {@code openapi.yaml}, served at
 * {@code /v1/openapi.yaml}). Handlers never block the event loop: registry, storage and backend
 * work runs on Vert.x worker threads.
 */
public final class RestApi {
    private static final Logger LOG = LoggerFactory.getLogger(RestApi.class);
    static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
    private static final int JSON_BODY_LIMIT = 1024 * 1024;
    private static final String RAW_BODY = "praas.rawBody";
    /** How long a connection that sent too large a body may go on sending it before it is closed. */
    private static final long TOO_LARGE_LINGER_MS = 5_000;
    private static final Duration DEFAULT_TOKEN_TTL = Duration.ofHours(24);
    /** The one route a data-plane token of the application may call, besides the admin key. */
    private static final String INVOKE_PATH = "/v1/applications/:app/functions/:function/invoke";

    private final Vertx vertx;
    private final ProcessLifecycle lifecycle;
    private final InvocationRouter router;
    private final byte[] adminKey;
    private final boolean dev;
    private final int maxInvokeBytes;
    private final Supplier<Map<String, Object>> health;
    private HttpServer server;

    /**
     * @param adminKey       the bearer key of the admin API (ignored in dev mode)
     * @param dev            dev mode: no authentication at all
     * @param maxInvokeBytes largest invocation body
     * @param health         the body of {@code GET /v1/health}
     */
    public RestApi(Vertx vertx, ProcessLifecycle lifecycle, InvocationRouter router, String adminKey, boolean dev,
                   int maxInvokeBytes, Supplier<Map<String, Object>> health) {
        this.vertx = vertx;
        this.lifecycle = lifecycle;
        this.router = router;
        this.adminKey = adminKey == null ? new byte[0] : adminKey.getBytes(StandardCharsets.UTF_8);
        this.dev = dev;
        this.maxInvokeBytes = maxInvokeBytes;
        this.health = health;
    }

    /** The routes, for the server and for the test that checks the OpenAPI document covers them. */
    public Router router() {
        Router r = Router.router(vertx);
        BodyHandler jsonBody = BodyHandler.create(false).setBodyLimit(JSON_BODY_LIMIT);
        // Every body of these routes is JSON, whatever its Content-Type says (curl -d sends
        // x-www-form-urlencoded): unsaid, the body handler would decode a form, and fail on a field
        // over its size limit.
        io.vertx.core.Handler<RoutingContext> json = ctx -> {
            String type = ctx.request().getHeader(io.vertx.core.http.HttpHeaders.CONTENT_TYPE);
            if (type != null && (type.regionMatches(true, 0, "application/x-www-form-urlencoded", 0, 33)
                    || type.regionMatches(true, 0, "multipart/", 0, 10))) {
                ctx.request().headers().remove(io.vertx.core.http.HttpHeaders.CONTENT_TYPE);
            }
            jsonBody.handle(ctx);
        };
        io.vertx.core.Handler<RoutingContext> code = rawBody(lifecycle.settings().maxCodeBytes());
        io.vertx.core.Handler<RoutingContext> invoke = rawBody(maxInvokeBytes);

        r.get("/v1/health").handler(ctx -> respond(ctx, 200, health.get()));
        r.get("/v1/openapi.yaml").handler(this::openapi);
        r.route("/v1/*").handler(this::authenticate);

        r.post("/v1/applications").handler(json).handler(ctx -> blocking(ctx, 201, () -> {
            JsonNode body = jsonBody(ctx);
            return view(lifecycle.createApplication(new ProcessLifecycle.ApplicationSpec(
                    text(body, "name", null), resources(body.get("resources"), null),
                    limits(body.get("limits")), swap(body.get("swap")), durability(text(body, "durability", null)))));
        }));
        r.get("/v1/applications").handler(ctx -> blocking(ctx, 200, () ->
                lifecycle.applications().stream().map(RestApi::view).toList()));
        r.get("/v1/applications/:app").handler(ctx -> blocking(ctx, 200, () -> view(lifecycle.application(app(ctx)))));
        r.delete("/v1/applications/:app").handler(ctx -> blocking(ctx, 204, () -> {
            lifecycle.deleteApplication(app(ctx));
            return null;
        }));
        r.put("/v1/applications/:app/code").handler(code).handler(ctx -> blocking(ctx, 200, () ->
                view(lifecycle.uploadCode(app(ctx), raw(ctx)))));
        r.post("/v1/applications/:app/tokens").handler(json).handler(ctx -> blocking(ctx, 200, () -> {
            JsonNode body = optionalJsonBody(ctx);
            long ttl = longField(body, "ttlSeconds", DEFAULT_TOKEN_TTL.toSeconds());
            ProcessLifecycle.IssuedToken t = lifecycle.issueToken(app(ctx), text(body, "process", ""), Duration.ofSeconds(ttl));
            return Map.of("token", t.token(), "expiresAt", t.expiresAt());
        }));
        r.post("/v1/applications/:app/processes").handler(json).handler(ctx -> blocking(ctx, 201, () -> {
            JsonNode body = optionalJsonBody(ctx);
            String name = text(body, "name", null);
            Resources defaults = lifecycle.application(app(ctx)).resources();
            ProcessRecord p = lifecycle.createProcess(app(ctx), name, resources(body.get("resources"), defaults));
            Map<String, Object> v = view(p);
            v.put("token", lifecycle.issueToken(p.application(), p.id(), DEFAULT_TOKEN_TTL).token());
            return v;
        }));
        r.get("/v1/applications/:app/processes").handler(ctx -> blocking(ctx, 200, () -> {
            String status = ctx.queryParams().get("status");
            ProcessStatus filter = status == null ? null : parseStatus(status);
            return lifecycle.processes(app(ctx), filter).stream().map(RestApi::view).toList();
        }));
        r.get("/v1/applications/:app/processes/:process").handler(ctx -> blocking(ctx, 200, () ->
                view(lifecycle.process(app(ctx), ctx.pathParam("process")))));
        r.delete("/v1/applications/:app/processes/:process").handler(ctx -> blocking(ctx, 204, () -> {
            String app = app(ctx);
            lifecycle.deleteProcess(app, ctx.pathParam("process"));
            router.forget(app, ctx.pathParam("process"));
            return null;
        }));
        r.post("/v1/applications/:app/processes/:process/stop").handler(ctx -> blocking(ctx, 200, () -> {
            String app = app(ctx);
            ProcessRecord p = lifecycle.stopProcess(app, ctx.pathParam("process"));
            router.forget(app, p.id());
            return view(p);
        }));
        r.post("/v1/applications/:app/processes/:process/swap").handler(ctx -> blocking(ctx, 200, () -> {
            String app = app(ctx);
            ProcessRecord p = lifecycle.swapOut(app, ctx.pathParam("process"));
            router.forget(app, p.id());
            return view(p);
        }));
        r.post("/v1/applications/:app/processes/:process/swapin").handler(ctx -> blocking(ctx, 200, () -> {
            ProcessRecord p = lifecycle.swapIn(app(ctx), ctx.pathParam("process"));
            Map<String, Object> v = view(p);
            v.put("token", lifecycle.issueToken(p.application(), p.id(), DEFAULT_TOKEN_TTL).token());
            return v;
        }));
        r.post(INVOKE_PATH).handler(invoke).handler(this::invoke);

        r.route().last().handler(ctx -> error(ctx, new ControlPlaneException(Code.NOT_FOUND,
                "no route " + ctx.request().method() + " " + ctx.request().path())));
        r.route().failureHandler(this::failure);
        return r;
    }

    /** Starts the HTTP server; the future holds the bound port. */
    public Future<Integer> listen(String host, int port) {
        server = vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(port)
                .setMaxFormAttributeSize(8192).setMaxInitialLineLength(8192).setMaxHeaderSize(16384));
        return server.requestHandler(router()).listen().map(HttpServer::actualPort);
    }

    /** Stops taking requests (invocations being routed go on: see {@link InvocationRouter#route}). */
    public Future<Void> close() {
        return server == null ? Future.succeededFuture() : server.close();
    }

    // ---- handlers

    private void authenticate(RoutingContext ctx) {
        if (dev) {
            ctx.next();
            return;
        }
        String header = ctx.request().getHeader("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7) || header.length() == 7) {
            error(ctx, new ControlPlaneException(Code.UNAUTHENTICATED,
                    "missing bearer token: send 'Authorization: Bearer <admin key or application token>'"));
            return;
        }
        String token = header.substring(7).strip();
        if (MessageDigest.isEqual(token.getBytes(StandardCharsets.UTF_8), adminKey)) {
            ctx.next();
            return;
        }
        if (!token.startsWith(DataPlaneToken.PREFIX + ".")) {
            error(ctx, new ControlPlaneException(Code.UNAUTHENTICATED, "the bearer token is neither the admin key nor "
                    + "an application token"));
            return;
        }
        // An application token: only for invoking that application's functions, checked here, before
        // its body is read (a stranger's Content-Length reserves nothing).
        java.util.regex.Matcher invoke = INVOKE_PATTERN.matcher(ctx.request().path());
        if (ctx.request().method() != io.vertx.core.http.HttpMethod.POST || !invoke.matches()) {
            refuseUnread(ctx, new ControlPlaneException(Code.FORBIDDEN,
                    "an application token may only invoke functions; this route needs the admin key"));
            return;
        }
        ctx.put("appToken", token);
        String app = java.net.URLDecoder.decode(invoke.group(1), StandardCharsets.UTF_8);
        String claimed = DataPlaneToken.claimedApplication(token).orElse("");
        if (!claimed.equals(app)) {
            refuseUnread(ctx, new ControlPlaneException(Code.FORBIDDEN, "the token is for application '" + claimed
                    + "', not '" + app + "'"));
            return;
        }
        ctx.request().pause(); // its body waits for the check (rawBody resumes it)
        vertx.executeBlocking(() -> {
            checkAppToken(ctx, lifecycle.application(app));
            return null;
        }, false).onComplete(ar -> {
            if (ar.failed()) {
                refuseUnread(ctx, ar.cause());
            } else {
                ctx.next();
            }
        });
    }

    /** The invoke route's path, with the application as group 1. */
    private static final java.util.regex.Pattern INVOKE_PATTERN =
            java.util.regex.Pattern.compile("/v1/applications/([^/]+)/functions/[^/]+/invoke/?");

    private void checkAppToken(RoutingContext ctx, ApplicationRecord app) {
        String token = ctx.get("appToken");
        if (token == null) {
            return; // admin key or dev mode
        }
        String claimed = DataPlaneToken.claimedApplication(token).orElse("");
        if (!claimed.equals(app.name())) {
            throw new ControlPlaneException(Code.FORBIDDEN, "the token is for application '" + claimed
                    + "', not '" + app.name() + "'");
        }
        try {
            DataPlaneToken t = DataPlaneToken.verify(ProcessLifecycle.secretOf(app), token, Instant.now());
            String process = ctx.queryParams().get("process");
            if (!t.process().isEmpty() && !t.process().equals(process)) {
                throw new ControlPlaneException(Code.FORBIDDEN, "the token is for process '" + t.process()
                        + "'; invoke with ?process=" + t.process());
            }
        } catch (InvalidTokenException e) {
            throw new ControlPlaneException(Code.UNAUTHENTICATED, "application token: " + e.getMessage());
        }
    }

    private void invoke(RoutingContext ctx) {
        String app = ctx.pathParam("app");
        String function = ctx.pathParam("function");
        String process = ctx.queryParams().get("process");
        String session = ctx.queryParams().get("session");
        byte[] input = raw(ctx);
        long timeoutMs;
        try {
            timeoutMs = ctx.queryParams().get("timeoutMs") == null ? 30_000 : Long.parseLong(ctx.queryParams().get("timeoutMs"));
            if (timeoutMs < 1 || timeoutMs > 0xFFFF_FFFFL) {
                throw new NumberFormatException();
            }
        } catch (NumberFormatException e) {
            error(ctx, ControlPlaneException.invalid("timeoutMs must be a positive number of milliseconds"));
            return;
        }
        long timeout = timeoutMs;
        // An application token was checked before the body was read (authenticate).
        router.route(app, function, process, session, input, Duration.ofMillis(timeout)).onComplete(ar -> {
            if (ar.failed()) {
                error(ctx, ar.cause());
                return;
            }
            ctx.response().setStatusCode(200)
                    .putHeader("Content-Type", "application/octet-stream")
                    .putHeader("X-Praas-Process", ar.result().processId())
                    .end(Buffer.buffer(ar.result().output()));
        });
    }

    /**
     * Reads a binary body up to {@code limit} bytes, whatever its Content-Type says (a jar sent as a
     * form must not be form-decoded); over the limit answers 413.
     */
    private static io.vertx.core.Handler<RoutingContext> rawBody(long limit) {
        return ctx -> {
            io.vertx.core.http.HttpServerRequest req = ctx.request();
            String declared = req.getHeader("Content-Length");
            try {
                if (declared != null && Long.parseLong(declared) < 0) {
                    throw new NumberFormatException();
                }
                if (declared != null && Long.parseLong(declared) > limit) {
                    tooLarge(ctx, limit);
                    return;
                }
            } catch (NumberFormatException e) {
                error(ctx, ControlPlaneException.invalid("bad Content-Length"));
                return;
            }
            // Grown as bytes come, not sized from what the request declares.
            Buffer body = Buffer.buffer((int) Math.min(Math.min(limit, 64 * 1024),
                    declared == null ? 4096 : Long.parseLong(declared)));
            boolean[] over = new boolean[1];
            req.handler(chunk -> {
                if (over[0]) {
                    return;
                }
                if (body.length() + chunk.length() > limit) {
                    over[0] = true;
                    tooLarge(ctx, limit);
                    return;
                }
                body.appendBuffer(chunk);
            });
            req.exceptionHandler(e -> LOG.debug("request body of {} failed: {}", req.path(), e.toString()));
            req.endHandler(v -> {
                if (!over[0]) {
                    ctx.put(RAW_BODY, body);
                    ctx.next();
                }
            });
            req.resume();
        };
    }

    private static void tooLarge(RoutingContext ctx, long limit) {
        refuseUnread(ctx, new ControlPlaneException(Code.PAYLOAD_TOO_LARGE, "the request body is over this route's "
                + "limit of " + limit + " bytes"));
    }

    /** Answers {@code e} to a request whose body is not wanted (refused before, or while, it is read). */
    private static void refuseUnread(RoutingContext ctx, Throwable e) {
        // The rest of the body is read and dropped, and the connection closes after this answer, and
        // says so. It closes once the body has arrived (at most TOO_LARGE_LINGER_MS later): closing
        // with bytes unread resets the connection, and the client may lose the answer unread.
        io.vertx.core.http.HttpServerRequest req = ctx.request();
        ctx.response().putHeader("Connection", "close");
        ctx.response().endHandler(v -> {
            if (req.isEnded()) {
                req.connection().close();
                return;
            }
            long timer = ctx.vertx().setTimer(TOO_LARGE_LINGER_MS, id -> req.connection().close());
            req.endHandler(end -> {
                ctx.vertx().cancelTimer(timer);
                req.connection().close();
            });
        });
        req.handler(dropped -> { });
        req.resume();
        error(ctx, e);
    }

    private static byte[] raw(RoutingContext ctx) {
        Buffer b = ctx.get(RAW_BODY);
        return b == null ? new byte[0] : b.getBytes();
    }

    private void openapi(RoutingContext ctx) {
        try (InputStream in = RestApi.class.getResourceAsStream("/openapi.yaml")) {
            ctx.response().putHeader("Content-Type", "application/yaml").end(Buffer.buffer(in.readAllBytes()));
        } catch (IOException | NullPointerException e) {
            error(ctx, new ControlPlaneException(Code.INTERNAL, "openapi.yaml is missing from the build"));
        }
    }

    private void blocking(RoutingContext ctx, int status, Callable<Object> work) {
        if (ctx.get("appToken") != null) {
            error(ctx, new ControlPlaneException(Code.FORBIDDEN,
                    "an application token may only invoke functions; this route needs the admin key"));
            return;
        }
        vertx.executeBlocking(work, false).onComplete(ar -> {
            if (ar.failed()) {
                error(ctx, ar.cause());
            } else if (status == 204) {
                ctx.response().setStatusCode(204).end();
            } else {
                respond(ctx, status, ar.result());
            }
        });
    }

    private void failure(RoutingContext ctx) {
        Throwable t = ctx.failure();
        if (t != null) {
            error(ctx, t);
            return;
        }
        int status = ctx.statusCode();
        Code code = switch (status) {
            case 413 -> Code.PAYLOAD_TOO_LARGE;
            case 400 -> Code.INVALID_ARGUMENT;
            case 404 -> Code.NOT_FOUND;
            default -> Code.INTERNAL;
        };
        error(ctx, new ControlPlaneException(code, status == 413 ? "the request body is over the limit of this route"
                : "request failed with HTTP " + status));
    }

    private static void error(RoutingContext ctx, Throwable t) {
        ControlPlaneException e;
        if (t instanceof ControlPlaneException cpe) {
            e = cpe;
        } else if (t instanceof IllegalArgumentException iae) {
            e = ControlPlaneException.invalid(iae.getMessage());
        } else {
            // The exception (a store's or Hazelcast's, with their hosts and keys) goes to the log only.
            String incident = java.util.UUID.randomUUID().toString().substring(0, 8);
            LOG.error("request {} {} failed (incident {})", ctx.request().method(), ctx.request().path(), incident, t);
            e = new ControlPlaneException(Code.INTERNAL, "internal error; the control plane's log has it as incident "
                    + incident);
        }
        if (ctx.response().ended()) {
            return;
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", e.code().name());
        body.put("message", e.getMessage() == null ? "" : e.getMessage());
        respond(ctx, e.status(), body);
    }

    private static void respond(RoutingContext ctx, int status, Object body) {
        try {
            ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                    .end(Buffer.buffer(JSON.writeValueAsBytes(body)));
        } catch (IOException e) {
            ctx.response().setStatusCode(500).end();
        }
    }

    // ---- request parsing

    private static String app(RoutingContext ctx) {
        return ctx.pathParam("app");
    }

    private static JsonNode jsonBody(RoutingContext ctx) {
        Buffer b = ctx.body().buffer();
        if (b == null || b.length() == 0) {
            throw ControlPlaneException.invalid("a JSON body is required");
        }
        try {
            JsonNode node = JSON.readTree(b.getBytes());
            if (node == null || !node.isObject()) {
                throw ControlPlaneException.invalid("the body must be a JSON object");
            }
            return node;
        } catch (IOException e) {
            throw ControlPlaneException.invalid("the body is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    private static JsonNode optionalJsonBody(RoutingContext ctx) {
        Buffer b = ctx.body().buffer();
        return b == null || b.length() == 0 ? JSON.createObjectNode() : jsonBody(ctx);
    }

    private static String text(JsonNode body, String field, String dflt) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isTextual()) {
            throw ControlPlaneException.invalid("'" + field + "' must be a string");
        }
        return v.asText();
    }

    private static long longField(JsonNode body, String field, long dflt) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.canConvertToLong() || !v.isIntegralNumber()) {
            throw ControlPlaneException.invalid("'" + field + "' must be an integer");
        }
        return v.asLong();
    }

    private static double number(JsonNode node, String field, double dflt) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isNumber() || !Double.isFinite(v.asDouble())) {
            throw ControlPlaneException.invalid("'" + field + "' must be a finite number");
        }
        return v.asDouble();
    }

    private static int intField(JsonNode node, String field, int dflt) {
        long v = longField(node, field, dflt);
        if (v > Integer.MAX_VALUE || v < Integer.MIN_VALUE) {
            throw ControlPlaneException.invalid("'" + field + "' is out of range");
        }
        return (int) v;
    }

    /** Resources from JSON; a missing field takes {@code dflt}'s (the node's defaults when null). */
    private Resources resources(JsonNode node, Resources dflt) {
        if (node == null || node.isNull()) {
            return dflt;
        }
        if (!node.isObject()) {
            throw ControlPlaneException.invalid("'resources' must be an object with vcpu and memoryMiB");
        }
        Resources base = dflt != null ? dflt : lifecycle.settings().defaultResources();
        return new Resources(number(node, "vcpu", base.vcpu()), intField(node, "memoryMiB", base.memoryMiB()));
    }

    private static ApplicationRecord.Limits limits(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            throw ControlPlaneException.invalid("'limits' must be an object");
        }
        ApplicationRecord.Limits d = ApplicationRecord.Limits.DEFAULT;
        return new ApplicationRecord.Limits(intField(node, "maxProcesses", d.maxProcesses()),
                intField(node, "maxConcurrencyPerProcess", d.maxConcurrencyPerProcess()),
                intField(node, "maxSessionsPerProcess", d.maxSessionsPerProcess()),
                intField(node, "stateLimitMiB", d.stateLimitMiB()));
    }

    private static ApplicationRecord.SwapPolicy swap(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            throw ControlPlaneException.invalid("'swap' must be an object with idleSeconds");
        }
        return new ApplicationRecord.SwapPolicy(longField(node, "idleSeconds", 0));
    }

    private static ApplicationRecord.Durability durability(String s) {
        if (s == null) {
            return null;
        }
        try {
            return ApplicationRecord.Durability.valueOf(s.toUpperCase());
        } catch (IllegalArgumentException e) {
            throw ControlPlaneException.invalid("durability must be 'memory' or 'journal', not '" + s + "'");
        }
    }

    private static ProcessStatus parseStatus(String s) {
        try {
            return ProcessStatus.valueOf(s.toUpperCase());
        } catch (IllegalArgumentException e) {
            throw ControlPlaneException.invalid("unknown status '" + s + "'; one of " + List.of(ProcessStatus.values()));
        }
    }

    // ---- views (what the API shows; never the application's secret)

    static Map<String, Object> view(ApplicationRecord a) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("name", a.name());
        v.put("resources", a.resources());
        v.put("limits", a.limits());
        v.put("swap", a.swap());
        v.put("durability", a.durability().name().toLowerCase());
        v.put("code", a.code() == null ? null : Map.of("sha256", a.code().sha256(), "sizeBytes", a.code().sizeBytes(),
                "uploadedAt", a.code().uploadedAt()));
        v.put("createdAt", a.createdAt());
        return v;
    }

    static Map<String, Object> view(ProcessRecord p) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("application", p.application());
        v.put("id", p.id());
        v.put("status", p.status());
        v.put("resources", p.resources());
        v.put("endpoint", p.endpoint());
        v.put("backend", p.handle() == null ? null : p.handle().backend());
        v.put("node", p.node());
        v.put("failure", p.failure());
        v.put("metrics", p.metrics());
        v.put("snapshot", p.snapshot());
        v.put("transitions", p.transitions());
        return v;
    }
}
