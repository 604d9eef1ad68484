package io.praas.client;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.praas.codec.Codecs;
import io.praas.protocol.ErrorCode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The REST client against a local HTTP server that answers each route of openapi.yaml with canned
 * JSON and records what it was sent.
 */
class PraasClientTest {
    private static final String KEY = "admin-key-0123456789";
    private static final String APP_JSON = """
            {"name":"shop","resources":{"vcpu":1.5,"memoryMiB":512},
             "limits":{"maxProcesses":4,"maxConcurrencyPerProcess":64,"maxSessionsPerProcess":10000,"stateLimitMiB":256},
             "swap":{"idleSeconds":300},"durability":"journal",
             "code":{"sha256":"ab12","sizeBytes":2048,"uploadedAt":"2030-01-01T12:00:05Z"},
             "createdAt":"2030-01-01T12:00:00Z"}""";
    private static final String PROCESS_JSON = """
            {"application":"shop","id":"p-1","status":"ACTIVE","resources":{"vcpu":1.0,"memoryMiB":256},
             "endpoint":{"host":"127.0.0.1","port":40123},"token":"praas1.c2hvcA.cC0x.1893456000.sig",
             "backend":"local","node":"node-a","failure":null,
             "snapshot":{"generation":3,"manifestKey":"apps/shop/p-1/3/manifest.json","snapshotBytes":4096,
                         "stateBytes":1000,"durationMs":12,"at":"2030-01-01T12:00:09Z"},
             "metrics":{"invocations":7,"activeSessions":2,"stateBytes":1024,"lastActivity":"2030-01-01T12:01:00Z",
                        "inFlight":0,"heartbeatAt":"2030-01-01T12:01:01Z"},
             "transitions":[{"status":"ALLOCATING","at":"2030-01-01T12:00:10Z"},
                            {"status":"ACTIVE","at":"2030-01-01T12:00:11Z"}]}""";

    private FakeControlPlane server;
    private Praas praas;

    @BeforeEach
    void start() throws IOException {
        server = new FakeControlPlane();
        praas = Praas.builder().url(server.url()).adminKey(KEY).timeout(Duration.ofSeconds(10)).build();
    }

    @AfterEach
    void stop() {
        praas.close();
        server.close();
    }

    // ---- applications

    @Test
    void createApplicationPostsTheSpecAsJsonWithTheBearerKey() {
        server.answer("POST", "/v1/applications", 201, APP_JSON);

        Application app = praas.createApplication(ApplicationSpec.named("shop")
                .withResources(new Resources(1.5, 512)).withMaxProcesses(4).withIdleSeconds(300)
                .withDurability(Application.Durability.JOURNAL));

        Recorded r = server.last();
        assertThat(r.method()).isEqualTo("POST");
        assertThat(r.path()).isEqualTo("/v1/applications");
        assertThat(r.header("Authorization")).isEqualTo("Bearer " + KEY);
        assertThat(r.header("Content-Type")).isEqualTo("application/json");
        assertThat(r.json()).isEqualTo(json("""
                {"name":"shop","resources":{"vcpu":1.5,"memoryMiB":512},"limits":{"maxProcesses":4},
                 "swap":{"idleSeconds":300},"durability":"journal"}"""));
        assertThat(app.name()).isEqualTo("shop");
    }

    @Test
    void createApplicationWithDefaultsSendsOnlyTheName() {
        server.answer("POST", "/v1/applications", 201, APP_JSON);

        praas.createApplication(ApplicationSpec.named("shop"));

        assertThat(server.last().json()).isEqualTo(json("{\"name\":\"shop\"}"));
    }

    @Test
    void applicationAnswerIsParsedFieldByField() {
        server.answer("GET", "/v1/applications/shop", 200, APP_JSON);

        Application app = praas.getApplication("shop");

        assertThat(server.last().method()).isEqualTo("GET");
        assertThat(server.last().path()).isEqualTo("/v1/applications/shop");
        assertThat(app).isEqualTo(new Application("shop", new Resources(1.5, 512),
                new Application.Limits(4, 64, 10_000, 256), new Application.SwapPolicy(300),
                Application.Durability.JOURNAL, new Application.Code("ab12", 2048, Instant.parse("2030-01-01T12:00:05Z")),
                Instant.parse("2030-01-01T12:00:00Z")));
    }

    @Test
    void applicationWithoutCodeHasNullCode() {
        server.answer("GET", "/v1/applications/shop", 200, APP_JSON.replaceAll("\"code\":\\{[^}]*}", "\"code\":null"));

        assertThat(praas.getApplication("shop").code()).isNull();
    }

    @Test
    void listApplicationsReturnsEveryApplication() {
        server.answer("GET", "/v1/applications", 200, "[" + APP_JSON + "," + APP_JSON.replace("\"shop\"", "\"blog\"") + "]");

        List<Application> apps = praas.listApplications();

        assertThat(apps).extracting(Application::name).containsExactly("shop", "blog");
        assertThat(server.last().header("Authorization")).isEqualTo("Bearer " + KEY);
    }

    @Test
    void deleteApplicationSendsDeleteAndAcceptsNoContent() {
        server.answer("DELETE", "/v1/applications/shop", 204, "");

        praas.deleteApplication("shop");

        assertThat(server.last().method()).isEqualTo("DELETE");
        assertThat(server.last().path()).isEqualTo("/v1/applications/shop");
    }

    @Test
    void uploadCodeFromAPathPutsTheJarBytes(@TempDir Path dir) throws IOException {
        byte[] jar = {'P', 'K', 3, 4, 9, 9, 9};
        Path file = Files.write(dir.resolve("shop.jar"), jar);
        server.answer("PUT", "/v1/applications/shop/code", 200, APP_JSON);

        Application app = praas.uploadCode("shop", file);

        Recorded r = server.last();
        assertThat(r.method()).isEqualTo("PUT");
        assertThat(r.path()).isEqualTo("/v1/applications/shop/code");
        assertThat(r.header("Content-Type")).isEqualTo("application/java-archive");
        assertThat(r.body()).isEqualTo(jar);
        assertThat(app.code().sha256()).isEqualTo("ab12");
    }

    @Test
    void uploadCodeFromBytesPutsThem() {
        byte[] jar = {'P', 'K', 1, 2};
        server.answer("PUT", "/v1/applications/shop/code", 200, APP_JSON);

        praas.uploadCode("shop", jar);

        assertThat(server.last().body()).isEqualTo(jar);
    }

    @Test
    void uploadCodeOfAMissingFileSaysWhichFile(@TempDir Path dir) {
        assertThatThrownBy(() -> praas.uploadCode("shop", dir.resolve("nope.jar")))
                .hasMessageContaining("nope.jar");
        assertThat(server.requests()).isEmpty();
    }

    @Test
    void issueTokenPostsProcessAndTtl() {
        server.answer("POST", "/v1/applications/shop/tokens", 200,
                "{\"token\":\"praas1.x.y.1.z\",\"expiresAt\":\"2030-01-01T13:00:00Z\"}");

        IssuedToken t = praas.issueToken("shop", "p-1", Duration.ofHours(1));

        assertThat(server.last().json()).isEqualTo(json("{\"process\":\"p-1\",\"ttlSeconds\":3600}"));
        assertThat(t).isEqualTo(new IssuedToken("praas1.x.y.1.z", Instant.parse("2030-01-01T13:00:00Z")));
    }

    @Test
    void issueTokenForTheApplicationSendsAnEmptyObject() {
        server.answer("POST", "/v1/applications/shop/tokens", 200,
                "{\"token\":\"praas1.x.y.1.z\",\"expiresAt\":\"2030-01-01T13:00:00Z\"}");

        praas.issueToken("shop");

        assertThat(server.last().json()).isEqualTo(json("{}"));
    }

    // ---- processes

    @Test
    void createProcessReturnsItsEndpointAndToken() {
        server.answer("POST", "/v1/applications/shop/processes", 201, PROCESS_JSON);

        ProcessInfo p = praas.createProcess("shop", ProcessSpec.named("p-1").withResources(new Resources(1.0, 256)));

        assertThat(server.last().json()).isEqualTo(json("{\"name\":\"p-1\",\"resources\":{\"vcpu\":1.0,\"memoryMiB\":256}}"));
        assertThat(p.id()).isEqualTo("p-1");
        assertThat(p.status()).isEqualTo(ProcessStatus.ACTIVE);
        assertThat(p.endpoint()).isEqualTo(new ProcessInfo.Endpoint("127.0.0.1", 40123));
        assertThat(p.token()).isEqualTo("praas1.c2hvcA.cC0x.1893456000.sig");
        assertThat(p.isActive()).isTrue();
    }

    @Test
    void createProcessWithDefaultsSendsAnEmptyObject() {
        server.answer("POST", "/v1/applications/shop/processes", 201, PROCESS_JSON);

        praas.createProcess("shop");

        assertThat(server.last().json()).isEqualTo(json("{}"));
        assertThat(server.last().header("Content-Type")).isEqualTo("application/json");
    }

    @Test
    void processAnswerIsParsedWithMetricsAndTransitions() {
        server.answer("GET", "/v1/applications/shop/processes/p-1", 200, PROCESS_JSON);

        ProcessInfo p = praas.getProcess("shop", "p-1");

        assertThat(server.last().path()).isEqualTo("/v1/applications/shop/processes/p-1");
        assertThat(p).isEqualTo(new ProcessInfo("shop", "p-1", ProcessStatus.ACTIVE, new Resources(1.0, 256),
                new ProcessInfo.Endpoint("127.0.0.1", 40123), "praas1.c2hvcA.cC0x.1893456000.sig", "local", "node-a",
                null, new ProcessInfo.Snapshot(3, "apps/shop/p-1/3/manifest.json", 4096, 1000, 12,
                        Instant.parse("2030-01-01T12:00:09Z")),
                new ProcessInfo.Metrics(7, 2, 1024, Instant.parse("2030-01-01T12:01:00Z")),
                List.of(new ProcessInfo.Transition(ProcessStatus.ALLOCATING, Instant.parse("2030-01-01T12:00:10Z")),
                        new ProcessInfo.Transition(ProcessStatus.ACTIVE, Instant.parse("2030-01-01T12:00:11Z")))));
    }

    @Test
    void swappedOutProcessHasNoEndpointAndAnUnknownStatusIsKept() {
        server.answer("GET", "/v1/applications/shop/processes/p-1", 200,
                "{\"application\":\"shop\",\"id\":\"p-1\",\"status\":\"HIBERNATING\",\"endpoint\":null}");

        ProcessInfo p = praas.getProcess("shop", "p-1");

        assertThat(p.status()).isEqualTo(ProcessStatus.UNKNOWN);
        assertThat(p.endpoint()).isNull();
        assertThat(p.snapshot()).isNull();
        assertThat(p.transitions()).isEmpty();
        assertThat(p.isActive()).isFalse();
    }

    @Test
    void listProcessesFiltersByStatusInTheQuery() {
        server.answer("GET", "/v1/applications/shop/processes", 200, "[" + PROCESS_JSON + "]");

        List<ProcessInfo> ps = praas.listProcesses("shop", ProcessStatus.SWAPPED_OUT);

        assertThat(server.last().query()).isEqualTo("status=SWAPPED_OUT");
        assertThat(ps).extracting(ProcessInfo::id).containsExactly("p-1");
    }

    @Test
    void listProcessesWithoutFilterSendsNoQuery() {
        server.answer("GET", "/v1/applications/shop/processes", 200, "[]");

        assertThat(praas.listProcesses("shop")).isEmpty();
        assertThat(server.last().query()).isNull();
    }

    @Test
    void stopProcessPostsToItsStopRoute() {
        server.answer("POST", "/v1/applications/shop/processes/p-1/stop", 200,
                PROCESS_JSON.replace("\"ACTIVE\",\"resources\"", "\"STOPPED\",\"resources\""));

        ProcessInfo p = praas.stopProcess("shop", "p-1");

        assertThat(server.last().method()).isEqualTo("POST");
        assertThat(server.last().path()).isEqualTo("/v1/applications/shop/processes/p-1/stop");
        assertThat(server.last().body()).isEmpty();
        assertThat(p.status()).isEqualTo(ProcessStatus.STOPPED);
    }

    @Test
    void swapOutPostsToItsSwapRouteAndReturnsTheSnapshot() {
        server.answer("POST", "/v1/applications/shop/processes/p-1/swap", 200,
                PROCESS_JSON.replace("\"ACTIVE\",\"resources\"", "\"SWAPPED_OUT\",\"resources\""));

        ProcessInfo p = praas.swapOut("shop", "p-1");

        assertThat(server.last().method()).isEqualTo("POST");
        assertThat(server.last().path()).isEqualTo("/v1/applications/shop/processes/p-1/swap");
        assertThat(server.last().header("Authorization")).isEqualTo("Bearer " + KEY);
        assertThat(p.status()).isEqualTo(ProcessStatus.SWAPPED_OUT);
        assertThat(p.snapshot().generation()).isEqualTo(3);
    }

    @Test
    void swapInPostsToItsSwapinRoute() throws Exception {
        server.answer("POST", "/v1/applications/shop/processes/p-1/swapin", 200, PROCESS_JSON);

        ProcessInfo p = praas.swapInAsync("shop", "p-1").get(10, TimeUnit.SECONDS);

        assertThat(server.last().path()).isEqualTo("/v1/applications/shop/processes/p-1/swapin");
        assertThat(p.status()).isEqualTo(ProcessStatus.ACTIVE);
    }

    @Test
    void failedSwapIsABadGatewayWithItsCode() {
        server.answer("POST", "/v1/applications/shop/processes/p-1/swap", 502,
                "{\"error\":\"SWAP_FAILED\",\"message\":\"snapshot upload failed\"}");

        assertThatThrownBy(() -> praas.swapOut("shop", "p-1"))
                .isInstanceOfSatisfying(PraasApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(502);
                    assertThat(e.error()).isEqualTo("SWAP_FAILED");
                    assertThat(e.hint()).isNotEmpty();
                });
    }

    @Test
    void deleteProcessSendsDelete() {
        server.answer("DELETE", "/v1/applications/shop/processes/p-1", 204, "");

        praas.deleteProcess("shop", "p-1");

        assertThat(server.last().method()).isEqualTo("DELETE");
        assertThat(server.last().path()).isEqualTo("/v1/applications/shop/processes/p-1");
    }

    // ---- invoke

    @Test
    void invokeSendsRawBytesAndReturnsTheOutputAndItsProcess() {
        server.answer("POST", "/v1/applications/shop/functions/echo/invoke", 200, "hi back",
                Map.of("X-Praas-Process", "p-7", "Content-Type", "application/octet-stream"));

        InvokeResult r = praas.invoke("shop", "echo", "hi".getBytes(UTF_8));

        Recorded req = server.last();
        assertThat(req.method()).isEqualTo("POST");
        assertThat(req.query()).isNull();
        assertThat(req.header("Content-Type")).isEqualTo("application/octet-stream");
        assertThat(req.header("Authorization")).isEqualTo("Bearer " + KEY);
        assertThat(req.body()).isEqualTo("hi".getBytes(UTF_8));
        assertThat(r.outputText()).isEqualTo("hi back");
        assertThat(r.process()).isEqualTo("p-7");
    }

    @Test
    void invokeOnAStickyProcessSessionAndTimeoutPutsThemInTheQuery() {
        server.answer("POST", "/v1/applications/shop/functions/add-item/invoke", 200, "ok",
                Map.of("X-Praas-Process", "cart-1"));

        praas.invoke("shop", "add-item", new byte[]{1, 2, 3},
                InvokeOptions.DEFAULT.onProcess("cart-1").inSession("alice & bob").withTimeout(Duration.ofSeconds(5)));

        assertThat(server.last().query()).isEqualTo("process=cart-1&session=alice%20%26%20bob&timeoutMs=5000");
        assertThat(server.last().body()).containsExactly(1, 2, 3);
    }

    @Test
    void invokeEncodesTheFunctionNameAsOnePathSegment() {
        server.answer("POST", "/v1/applications/shop/functions/a%2Fb%20c/invoke", 200, "");

        praas.invoke("shop", "a/b c", new byte[0]);

        assertThat(server.last().rawPath()).isEqualTo("/v1/applications/shop/functions/a%2Fb%20c/invoke");
    }

    @Test
    void typedInvokeEncodesAndDecodesWithTheCodecs() {
        server.answer("POST", "/v1/applications/shop/functions/upper/invoke", 200, "HI");

        String out = praas.invoke("shop", "upper", "hi", Codecs.utf8(), Codecs.utf8());

        assertThat(out).isEqualTo("HI");
        assertThat(server.last().body()).isEqualTo("hi".getBytes(UTF_8));
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({
            "504, TIMEOUT, true", "503, PROCESS_UNAVAILABLE, true", "502, BAD_GATEWAY, true", "500, INTERNAL, true",
            "500, FUNCTION_FAILED, false", "507, STATE_LIMIT_EXCEEDED, false", "429, OVERLOADED, false",
            "404, NOT_FOUND, false", "400, INVALID_ARGUMENT, false"})
    void aFailedInvokeSaysWhetherItMayHaveRun(int status, String error, boolean mayHaveRun) {
        server.answer("POST", "/v1/applications/shop/functions/pay/invoke", status,
                "{\"error\":\"" + error + "\",\"message\":\"m\"}");

        PraasApiException e = catchThrowableOfType(PraasApiException.class,
                () -> praas.invoke("shop", "pay", new byte[] {1}));

        assertThat(e.status()).isEqualTo(status);
        assertThat(e.mayHaveRun()).as("%d %s", status, error).isEqualTo(mayHaveRun);
    }

    @Test
    void aFailureOfAnotherRouteNeverMayHaveRun() {
        server.answer("POST", "/v1/applications/shop/processes", 503, "{\"error\":\"PROCESS_UNAVAILABLE\",\"message\":\"m\"}");

        PraasApiException e = catchThrowableOfType(PraasApiException.class,
                () -> praas.createProcess("shop", ProcessSpec.named("p-1")));

        assertThat(e.mayHaveRun()).isFalse();
    }

    @Test
    void anInvokeWithoutAnAnswerInTimeMayHaveRun() {
        server.answer("POST", "/v1/applications/shop/functions/slow/invoke", 200, "late");
        server.delay = Duration.ofSeconds(2);

        try (Praas quick = Praas.builder().url(server.url()).adminKey(KEY).timeout(Duration.ofMillis(300)).build()) {
            PraasException e = catchThrowableOfType(PraasException.class,
                    () -> quick.invoke("shop", "slow", new byte[] {1}));

            assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT);
            assertThat(e.mayHaveRun()).isTrue();
        }
    }

    // ---- node

    @Test
    void healthNeedsNoKey() {
        server.answer("GET", "/v1/health", 200, "{\"status\":\"UP\",\"node\":\"node-a\",\"clusterSize\":2,\"connectedProcesses\":0}");

        Health h = praas.health();

        assertThat(h).isEqualTo(new Health("UP", "node-a", 2));
        assertThat(server.last().header("Authorization")).isNull();
    }

    @Test
    void openapiReturnsTheDocument() {
        server.answer("GET", "/v1/openapi.yaml", 200, "openapi: 3.0.3\n");

        assertThat(praas.openapi()).isEqualTo("openapi: 3.0.3\n");
    }

    @Test
    void withoutAKeyNoAuthorizationIsSent() {
        server.answer("GET", "/v1/applications", 200, "[]");
        try (Praas dev = Praas.builder().url(server.url() + "/").build()) {
            dev.listApplications();
        }

        assertThat(server.last().header("Authorization")).isNull();
        assertThat(server.last().path()).isEqualTo("/v1/applications");
    }

    // ---- async

    @Test
    void asyncCallsCompleteWithTheParsedAnswer() throws Exception {
        server.answer("GET", "/v1/applications/shop/processes", 200, "[" + PROCESS_JSON + "]");
        server.answer("POST", "/v1/applications/shop/functions/echo/invoke", 200, "hi", Map.of("X-Praas-Process", "p-1"));

        List<ProcessInfo> ps = praas.listProcessesAsync("shop", ProcessStatus.ACTIVE).get(10, TimeUnit.SECONDS);
        InvokeResult r = praas.invokeAsync("shop", "echo", "hi".getBytes(UTF_8)).get(10, TimeUnit.SECONDS);

        assertThat(ps).extracting(ProcessInfo::id).containsExactly("p-1");
        assertThat(r).isEqualTo(new InvokeResult("hi".getBytes(UTF_8), "p-1"));
    }

    @Test
    void asyncCallsFailWithTheApiException() {
        server.answer("DELETE", "/v1/applications/shop", 404, "{\"error\":\"NOT_FOUND\",\"message\":\"no application 'shop'\"}");

        assertThatThrownBy(() -> praas.deleteApplicationAsync("shop").get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause().isInstanceOfSatisfying(PraasApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(404);
                    assertThat(e.error()).isEqualTo("NOT_FOUND");
                });
    }

    // ---- errors

    @Test
    void errorBodyBecomesAnApiExceptionWithStatusCodeAndMessage() {
        server.answer("GET", "/v1/applications/nope", 404, "{\"error\":\"NOT_FOUND\",\"message\":\"no application 'nope'\"}");

        assertThatThrownBy(() -> praas.getApplication("nope"))
                .isInstanceOfSatisfying(PraasApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(404);
                    assertThat(e.error()).isEqualTo("NOT_FOUND");
                    assertThat(e.detail()).isEqualTo("no application 'nope'");
                    assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN);
                    assertThat(e.getMessage()).isEqualTo("NOT_FOUND: no application 'nope' (HTTP 404)");
                });
    }

    @Test
    void wrongKeyIsUnauthenticatedAndSaysWhichKeyToUse() {
        server.answer("GET", "/v1/applications", 401,
                "{\"error\":\"UNAUTHENTICATED\",\"message\":\"the bearer token is neither the admin key nor an application token\"}");

        assertThatThrownBy(() -> praas.listApplications())
                .isInstanceOfSatisfying(PraasApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(401);
                    assertThat(e.error()).isEqualTo("UNAUTHENTICATED");
                    assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHENTICATED);
                    assertThat(e.hint()).contains("admin key");
                    assertThat(e.getMessage()).startsWith("UNAUTHENTICATED: the bearer token is neither")
                            .contains("admin.key");
                });
    }

    @Test
    void overloadedIsRetryableAndCarriesItsProtocolCode() {
        server.answer("POST", "/v1/applications/shop/processes", 429,
                "{\"error\":\"OVERLOADED\",\"message\":\"application 'shop' has 4 of its 4 processes\"}");

        assertThatThrownBy(() -> praas.createProcess("shop"))
                .isInstanceOfSatisfying(PraasApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(429);
                    assertThat(e.code()).isEqualTo(ErrorCode.OVERLOADED);
                    assertThat(e.retryable()).isTrue();
                });
    }

    @Test
    void functionFailureOfAnInvocationIsAnApiException() {
        server.answer("POST", "/v1/applications/shop/functions/boom/invoke", 500,
                "{\"error\":\"FUNCTION_FAILED\",\"message\":\"java.lang.IllegalStateException: boom\"}");

        assertThatThrownBy(() -> praas.invoke("shop", "boom", new byte[0]))
                .isInstanceOfSatisfying(PraasApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(500);
                    assertThat(e.code()).isEqualTo(ErrorCode.FUNCTION_FAILED);
                    assertThat(e.detail()).isEqualTo("java.lang.IllegalStateException: boom");
                });
    }

    @Test
    void nonJsonErrorBodyKeepsTheStatusAndFirstLine() {
        server.answer("GET", "/v1/applications", 502, "<html>Bad Gateway</html>\nmore");

        assertThatThrownBy(() -> praas.listApplications())
                .isInstanceOfSatisfying(PraasApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(502);
                    assertThat(e.error()).isEqualTo("HTTP_502");
                    assertThat(e.detail()).isEqualTo("<html>Bad Gateway</html>");
                });
    }

    @Test
    void unparseableSuccessAnswerSaysSo() {
        server.answer("GET", "/v1/applications/shop", 200, "not json");

        assertThatThrownBy(() -> praas.getApplication("shop"))
                .isInstanceOf(PraasException.class)
                .hasMessageContaining("unexpected answer to GET /v1/applications/shop");
    }

    @Test
    void refusedConnectionIsAConnectionExceptionNamingTheUrl() throws IOException {
        int freePort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            freePort = s.getLocalPort();
        }
        String url = "http://127.0.0.1:" + freePort;
        try (Praas nowhere = Praas.builder().url(url).build()) {
            assertThatThrownBy(nowhere::listApplications)
                    .isInstanceOf(PraasConnectionException.class)
                    .hasMessageContaining("cannot connect to the PraaS control plane at " + url)
                    .hasMessageContaining("praas up");
            assertThatThrownBy(() -> nowhere.healthAsync().get(10, TimeUnit.SECONDS))
                    .cause().isInstanceOf(PraasConnectionException.class);
        }
    }

    @Test
    void slowAnswerIsATimeout() {
        server.answer("GET", "/v1/applications", 200, "[]");
        server.delay = Duration.ofSeconds(1);
        try (Praas impatient = Praas.builder().url(server.url()).timeout(Duration.ofMillis(300)).build()) {
            assertThatThrownBy(impatient::listApplications)
                    .isInstanceOfSatisfying(PraasException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT));
        }
    }

    @Test
    void connectingToAStoppedProcessSaysItIsUnavailable() {
        server.answer("GET", "/v1/applications/shop/processes/p-1", 200,
                "{\"application\":\"shop\",\"id\":\"p-1\",\"status\":\"STOPPED\",\"endpoint\":null}");
        ProcessInfo stopped = new ProcessInfo("shop", "p-1", ProcessStatus.STOPPED, null, null, null, null, null,
                null, null, null, List.of());

        assertThatThrownBy(() -> praas.connect(stopped))
                .isInstanceOfSatisfying(PraasException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.PROCESS_UNAVAILABLE);
                    assertThat(e.detail()).contains("STOPPED").contains("create another process");
                });
        assertThat(server.last().path()).isEqualTo("/v1/applications/shop/processes/p-1");
    }

    @Test
    void connectingToASwappedOutProcessSwapsItInFirstAndReportsWhyThatFailed() {
        server.answer("GET", "/v1/applications/shop/processes/p-1", 200,
                "{\"application\":\"shop\",\"id\":\"p-1\",\"status\":\"SWAPPED_OUT\",\"endpoint\":null}");
        server.answer("POST", "/v1/applications/shop/processes/p-1/swapin", 502,
                "{\"error\":\"SWAP_FAILED\",\"message\":\"part 1 of the snapshot is corrupt\"}");
        ProcessInfo swapped = new ProcessInfo("shop", "p-1", ProcessStatus.SWAPPED_OUT, null, null, null, null, null,
                null, null, null, List.of());

        assertThatThrownBy(() -> praas.connect(swapped))
                .isInstanceOfSatisfying(PraasApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(502);
                    assertThat(e.getMessage()).contains("corrupt");
                });
        assertThat(server.last().method()).isEqualTo("POST");
        assertThat(server.last().path()).isEqualTo("/v1/applications/shop/processes/p-1/swapin");
    }

    @Test
    void badUrlsAreRejectedAtBuildTime() {
        assertThatThrownBy(() -> Praas.builder().url("127.0.0.1:8080")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a control-plane URL");
        assertThatThrownBy(() -> Praas.builder().url("ftp://host")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void closedClientRefusesCalls() {
        praas.close();

        assertThatThrownBy(() -> praas.listApplications()).isInstanceOf(IllegalStateException.class);
        assertThat(praas.healthAsync()).isCompletedExceptionally();
    }

    // ---- the fake control plane

    private static String json(String text) {
        try {
            return ApiJson.MAPPER.readTree(text).toString();
        } catch (IOException e) {
            throw new IllegalArgumentException(e);
        }
    }

    record Recorded(String method, String rawPath, String query, Map<String, List<String>> headers, byte[] body) {
        String path() {
            return java.net.URI.create(rawPath).getPath();
        }

        String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .map(e -> e.getValue().get(0)).findFirst().orElse(null);
        }

        String json() {
            return PraasClientTest.json(new String(body, UTF_8));
        }
    }

    private record Canned(int status, byte[] body, Map<String, String> headers) {
    }

    /** Answers "METHOD raw-path" with canned answers (404 JSON otherwise) and records every request. */
    static final class FakeControlPlane implements AutoCloseable {
        private final HttpServer http;
        private final Map<String, Canned> answers = new ConcurrentHashMap<>();
        private final List<Recorded> requests = new CopyOnWriteArrayList<>();
        volatile Duration delay = Duration.ZERO;

        FakeControlPlane() throws IOException {
            http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            http.createContext("/", this::handle);
            http.start();
        }

        String url() {
            return "http://127.0.0.1:" + http.getAddress().getPort();
        }

        void answer(String method, String rawPath, int status, String body) {
            answer(method, rawPath, status, body, Map.of("Content-Type", "application/json"));
        }

        void answer(String method, String rawPath, int status, String body, Map<String, String> headers) {
            answers.put(method + " " + rawPath, new Canned(status, body.getBytes(StandardCharsets.UTF_8), headers));
        }

        List<Recorded> requests() {
            return requests;
        }

        Recorded last() {
            assertThat(requests).as("requests the server received").isNotEmpty();
            return requests.get(requests.size() - 1);
        }

        private void handle(HttpExchange ex) throws IOException {
            byte[] body = ex.getRequestBody().readAllBytes();
            String rawPath = ex.getRequestURI().getRawPath();
            requests.add(new Recorded(ex.getRequestMethod(), rawPath, ex.getRequestURI().getRawQuery(),
                    Map.copyOf(ex.getRequestHeaders()), body));
            if (!delay.isZero()) {
                try {
                    Thread.sleep(delay.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            Canned c = answers.getOrDefault(ex.getRequestMethod() + " " + rawPath, new Canned(404,
                    ("{\"error\":\"NOT_FOUND\",\"message\":\"no route " + ex.getRequestMethod() + " " + rawPath + "\"}")
                            .getBytes(UTF_8), Map.of("Content-Type", "application/json")));
            c.headers().forEach((k, v) -> ex.getResponseHeaders().add(k, v));
            ex.sendResponseHeaders(c.status(), c.status() == 204 || c.body().length == 0 ? -1 : c.body().length);
            try (var out = ex.getResponseBody()) {
                out.write(c.body());
            }
        }

        @Override
        public void close() {
            http.stop(0);
        }
    }
}
