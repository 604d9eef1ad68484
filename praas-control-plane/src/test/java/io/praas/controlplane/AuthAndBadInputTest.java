package io.praas.controlplane;

import io.praas.auth.DataPlaneToken;
import io.praas.client.PraasException;
import io.praas.client.ProcessClient;
import io.praas.protocol.ErrorCode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.praas.controlplane.Api.assertJsonError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Authentication of the REST API and the data plane, and bad input: every refusal is a JSON error
 * with the right status, and the node keeps serving.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AuthAndBadInputTest {
    private static final int MAX_INVOKE_BYTES = 4096;
    private static final long MAX_CODE_BYTES = 256 * 1024;
    private static final String ALPHA = "alpha";
    private static final String BETA = "beta";

    @TempDir
    static Path dataDir;
    private static ControlPlane cp;
    private static Api admin;
    private static Api.Reply alphaProcess;
    private static Api.Reply betaProcess;

    @BeforeAll
    static void startWithTwoApplications() {
        ControlPlanes.Options options = ControlPlanes.options(dataDir);
        options.maxInvokeBytes = MAX_INVOKE_BYTES;
        options.maxCodeBytes = MAX_CODE_BYTES;
        cp = ControlPlane.start(options.config());
        admin = Api.admin(cp);
        ControlPlanes.deploy(admin, ALPHA, Map.of());
        ControlPlanes.deploy(admin, BETA, Map.of());
        alphaProcess = ControlPlanes.createProcess(admin, ALPHA);
        betaProcess = ControlPlanes.createProcess(admin, BETA);
    }

    @AfterAll
    static void stop() {
        if (cp != null) {
            cp.close();
        }
    }

    // ---- authentication of the REST API

    @Test
    void theAdminKeyIsTheConfiguredOne() {
        assertThat(cp.adminKey()).isEqualTo(ControlPlanes.ADMIN_KEY);
        assertThat(admin.get("/v1/applications").status()).isEqualTo(200);
    }

    @Test
    void missingAuthorizationIs401() {
        assertJsonError(admin.authorization(null).get("/v1/applications"), 401, "UNAUTHENTICATED");
        assertJsonError(admin.authorization(null).invoke(ALPHA, "echo", "", new byte[]{1}), 401, "UNAUTHENTICATED");
    }

    @Test
    void wrongAdminKeyIs401() {
        assertJsonError(admin.bearer("not-the-admin-key").get("/v1/applications"), 401, "UNAUTHENTICATED");
    }

    @Test
    void authorizationThatIsNotABearerTokenIs401() {
        assertJsonError(admin.authorization("Basic " + ControlPlanes.ADMIN_KEY).get("/v1/applications"), 401,
                "UNAUTHENTICATED");
        assertJsonError(admin.authorization("Bearer ").get("/v1/applications"), 401, "UNAUTHENTICATED");
    }

    @Test
    void healthNeedsNoToken() {
        Api.Reply r = admin.authorization(null).get("/v1/health");

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().path("status").asText()).isEqualTo("UP");
    }

    @Test
    void applicationTokenInvokesItsApplication() {
        Api app = admin.bearer(applicationToken(ALPHA, Map.of()));

        Api.Reply r = app.invoke(ALPHA, "echo", "", "token".getBytes(StandardCharsets.UTF_8));

        assertThat(r.status()).as("%s", r).isEqualTo(200);
        assertThat(r.text()).isEqualTo("token");
    }

    @Test
    void applicationTokenIsForbiddenOnAdminRoutes() {
        Api app = admin.bearer(applicationToken(ALPHA, Map.of()));

        assertJsonError(app.get("/v1/applications"), 403, "FORBIDDEN");
        assertJsonError(app.get("/v1/applications/" + ALPHA), 403, "FORBIDDEN");
        assertJsonError(app.post("/v1/applications/" + ALPHA + "/processes", null), 403, "FORBIDDEN");
        assertJsonError(app.post("/v1/applications/" + ALPHA + "/tokens", null), 403, "FORBIDDEN");
        assertJsonError(app.delete("/v1/applications/" + ALPHA), 403, "FORBIDDEN");
        assertThat(admin.get("/v1/applications/" + ALPHA).status()).isEqualTo(200);
    }

    @Test
    void aTokenThatIsNotAdminsIsRefusedBeforeItsBodyIsRead() throws Exception {
        String forged = DataPlaneToken.issue("not-the-secret".getBytes(StandardCharsets.UTF_8), ALPHA, "",
                Instant.now().plusSeconds(600));
        // Headers that announce the largest bodies, and no body: the answer must not wait for one.
        assertThat(statusWithoutBody("PUT", "/v1/applications/" + ALPHA + "/code", forged, MAX_CODE_BYTES))
                .isEqualTo(403);
        assertThat(statusWithoutBody("POST", "/v1/applications/" + ALPHA + "/functions/echo/invoke", forged,
                MAX_INVOKE_BYTES)).isEqualTo(401);
        assertThat(statusWithoutBody("POST", "/v1/applications/" + BETA + "/functions/echo/invoke",
                applicationToken(ALPHA, Map.of()), MAX_INVOKE_BYTES)).isEqualTo(403);
    }

    /** Sends a request's head announcing {@code length} bytes, none of them; the status line's code. */
    private static int statusWithoutBody(String method, String path, String token, long length) throws Exception {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", cp.httpPort())) {
            s.setSoTimeout(5_000);
            s.getOutputStream().write((method + " " + path + " HTTP/1.1\r\nHost: localhost\r\n"
                    + "Authorization: Bearer " + token + "\r\nContent-Type: application/octet-stream\r\n"
                    + "Content-Length: " + length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            String status = new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream(),
                    StandardCharsets.US_ASCII)).readLine();
            return Integer.parseInt(status.split(" ")[1]);
        }
    }

    @Test
    void applicationTokenIsForbiddenOnAnotherApplicationsInvoke() {
        Api app = admin.bearer(applicationToken(ALPHA, Map.of()));

        assertJsonError(app.invoke(BETA, "echo", "", new byte[]{1}), 403, "FORBIDDEN");
    }

    @Test
    void forgedApplicationTokenIs401() {
        String forged = DataPlaneToken.issue("not-the-secret".getBytes(StandardCharsets.UTF_8), ALPHA, "",
                Instant.now().plusSeconds(600));

        assertJsonError(admin.bearer(forged).invoke(ALPHA, "echo", "", new byte[]{1}), 401, "UNAUTHENTICATED");
    }

    @Test
    void expiredApplicationTokenIs401() throws InterruptedException {
        Api.Reply issued = admin.post("/v1/applications/" + ALPHA + "/tokens", Map.of("ttlSeconds", 1));
        Instant expiresAt = Instant.parse(issued.json().path("expiresAt").asText());
        Thread.sleep(Math.max(0, Duration.between(Instant.now(), expiresAt).toMillis()) + 100);

        Api.Reply r = admin.bearer(issued.json().path("token").asText()).invoke(ALPHA, "echo", "", new byte[]{1});

        assertJsonError(r, 401, "UNAUTHENTICATED");
    }

    @Test
    void processTokenInvokesOnlyItsProcess() {
        String id = alphaProcess.json().path("id").asText();
        Api process = admin.bearer(applicationToken(ALPHA, Map.of("process", id)));

        assertThat(process.invoke(ALPHA, "echo", "?process=" + id, new byte[]{7}).status()).isEqualTo(200);
        assertJsonError(process.invoke(ALPHA, "echo", "", new byte[]{7}), 403, "FORBIDDEN");
    }

    // ---- authentication of the data plane

    @Test
    void tokenOfAnotherApplicationIsForbiddenOnTheDataPlane() {
        // Claiming beta with alpha's token: the token says it is for alpha (PROTOCOL.md rule 1), as
        // the REST API answers too; beta's process cannot check alpha's signature.
        PraasException e = catchThrowableOfType(PraasException.class,
                () -> connect(betaProcess, BETA, alphaProcess.json().path("token").asText()).close());

        assertThat(e.code()).isEqualTo(ErrorCode.FORBIDDEN);
    }

    @Test
    void forgedTokenClaimingTheRightApplicationIsUnauthenticatedOnTheDataPlane() {
        String forged = io.praas.auth.DataPlaneToken.issue("not beta's secret".getBytes(java.nio.charset.StandardCharsets.UTF_8),
                BETA, "", java.time.Instant.now().plusSeconds(60));

        PraasException e = catchThrowableOfType(PraasException.class, () -> connect(betaProcess, BETA, forged).close());

        assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHENTICATED);
    }

    @Test
    void clientOfAnotherApplicationIsForbiddenOnTheDataPlane() {
        // Claiming alpha, with alpha's own valid token, at beta's process: the wrong application.
        PraasException e = catchThrowableOfType(PraasException.class,
                () -> connect(betaProcess, ALPHA, alphaProcess.json().path("token").asText()).close());

        assertThat(e.code()).isEqualTo(ErrorCode.FORBIDDEN);
    }

    @Test
    void tokenOfAnotherProcessIsForbiddenOnTheDataPlane() {
        String otherProcess = applicationToken(BETA, Map.of("process", "some-other-process"));

        PraasException e = catchThrowableOfType(PraasException.class,
                () -> connect(betaProcess, BETA, otherProcess).close());

        assertThat(e.code()).isEqualTo(ErrorCode.FORBIDDEN);
    }

    @Test
    void missingTokenIsUnauthenticatedOnTheDataPlane() {
        PraasException e = catchThrowableOfType(PraasException.class, () -> connect(betaProcess, BETA, "").close());

        assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHENTICATED);
    }

    @Test
    void applicationTokenFromTheApiConnectsOnTheDataPlane() {
        try (ProcessClient c = connect(betaProcess, BETA, applicationToken(BETA, Map.of()))) {
            assertThat(c.invoke("echo", new byte[]{42})).containsExactly(42);
        }
    }

    // ---- unknown ids

    @Test
    void unknownApplicationIs404() {
        assertJsonError(admin.get("/v1/applications/nope"), 404, "NOT_FOUND");
        assertJsonError(admin.delete("/v1/applications/nope"), 404, "NOT_FOUND");
        assertJsonError(admin.get("/v1/applications/nope/processes"), 404, "NOT_FOUND");
        assertJsonError(admin.post("/v1/applications/nope/processes", null), 404, "NOT_FOUND");
        assertJsonError(admin.post("/v1/applications/nope/tokens", null), 404, "NOT_FOUND");
        assertJsonError(admin.put("/v1/applications/nope/code", ControlPlanes.samplesJarBytes(),
                "application/java-archive"), 404, "NOT_FOUND");
        assertJsonError(admin.invoke("nope", "echo", "", new byte[]{1}), 404, "NOT_FOUND");
    }

    @Test
    void unknownProcessIs404() {
        assertJsonError(admin.get("/v1/applications/alpha/processes/nope"), 404, "NOT_FOUND");
        assertJsonError(admin.post("/v1/applications/alpha/processes/nope/stop", null), 404, "NOT_FOUND");
        assertJsonError(admin.delete("/v1/applications/alpha/processes/nope"), 404, "NOT_FOUND");
        assertJsonError(admin.invoke(ALPHA, "echo", "?process=nope", new byte[]{1}), 404, "NOT_FOUND");
    }

    @Test
    void unknownFunctionIs404() {
        assertJsonError(admin.invoke(ALPHA, "noSuchFunction", "", new byte[]{1}), 404, "NOT_FOUND");
    }

    @Test
    void sessionGivenThroughTheControlPlaneIsCreatedWithThatIdAndKeepsItsState() {
        String id = alphaProcess.json().path("id").asText();
        String query = "?process=" + id + "&session=made-by-rest";

        Api.Reply first = admin.invoke(ALPHA, "counter", query, new byte[0]);
        Api.Reply second = admin.invoke(ALPHA, "counter", query, new byte[0]);

        assertThat(first.status()).as("%s", first).isEqualTo(200);
        assertThat(new String(first.body(), StandardCharsets.UTF_8)).isEqualTo("1");
        assertThat(new String(second.body(), StandardCharsets.UTF_8)).isEqualTo("2");
    }

    @Test
    void aSessionTheProcessNoLongerHasIsOpenedAgainWithItsId() {
        String id = alphaProcess.json().path("id").asText();
        String query = "?process=" + id + "&session=closed-behind-rest";
        assertThat(new String(admin.invoke(ALPHA, "counter", query, new byte[0]).body(), StandardCharsets.UTF_8))
                .isEqualTo("1");
        // Closed on the process by someone else (as its idle expiry would): the node still has it as open.
        try (ProcessClient c = connect(alphaProcess, ALPHA, applicationToken(ALPHA, Map.of()))) {
            c.resumeSession("closed-behind-rest").close();
        }

        Api.Reply again = admin.invoke(ALPHA, "counter", query, new byte[0]);

        assertThat(again.status()).as("%s", again).isEqualTo(200);
        assertThat(new String(again.body(), StandardCharsets.UTF_8)).as("a new session, its state new").isEqualTo("1");
    }

    @Test
    void concurrentFirstCallsOfANewSessionAllRunInIt() throws Exception {
        String id = alphaProcess.json().path("id").asText();
        String query = "?process=" + id + "&session=opened-by-many";
        java.util.concurrent.ExecutorService callers = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            List<java.util.concurrent.Future<Api.Reply>> replies = new java.util.ArrayList<>();
            for (int i = 0; i < 8; i++) {
                replies.add(callers.submit(() -> admin.invoke(ALPHA, "counter", query, new byte[0])));
            }
            java.util.Set<String> counts = new java.util.TreeSet<>();
            for (java.util.concurrent.Future<Api.Reply> f : replies) {
                Api.Reply r = f.get(30, java.util.concurrent.TimeUnit.SECONDS);
                assertThat(r.status()).as("%s", r).isEqualTo(200);
                counts.add(new String(r.body(), StandardCharsets.UTF_8));
            }
            assertThat(counts).containsExactlyInAnyOrder("1", "2", "3", "4", "5", "6", "7", "8");
        } finally {
            callers.shutdownNow();
        }
    }

    @Test
    void badSessionIdIs400() {
        String id = alphaProcess.json().path("id").asText();

        assertJsonError(admin.invoke(ALPHA, "counter", "?process=" + id + "&session=" + "x".repeat(200), new byte[0]),
                400, "INVALID_ARGUMENT");
    }

    @Test
    void functionThatThrowsIs500() {
        assertJsonError(admin.invoke(ALPHA, "counter", "", "not a number".getBytes(StandardCharsets.UTF_8)), 500,
                "FUNCTION_FAILED");
    }

    @Test
    void unknownRouteIs404() {
        assertJsonError(admin.get("/v1/nothing-here"), 404, "NOT_FOUND");
        assertJsonError(admin.authorization(null).get("/not-the-api"), 404, "NOT_FOUND");
    }

    // ---- bad input

    @ParameterizedTest
    @ValueSource(strings = {"Upper", "", "-x", "x-", "a_b", "a.b", "name with spaces",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})
    void badApplicationNameIs400(String name) {
        assertJsonError(admin.post("/v1/applications", Map.of("name", name)), 400, "INVALID_ARGUMENT");
    }

    @Test
    void duplicateApplicationIs409() {
        assertJsonError(admin.post("/v1/applications", Map.of("name", ALPHA)), 409, "CONFLICT");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Upper", "-x", "a_b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})
    void badProcessNameIs400(String name) {
        assertJsonError(admin.post("/v1/applications/alpha/processes", Map.of("name", name)), 400, "INVALID_ARGUMENT");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"vcpu\": 0}", "{\"vcpu\": -1}", "{\"vcpu\": 0.1}", "{\"memoryMiB\": 0}",
            "{\"memoryMiB\": -512}", "{\"memoryMiB\": 64}"})
    void nonPositiveOrTinyResourcesAre400(String resources) {
        assertJsonError(admin.postRaw("/v1/applications", json("{\"name\": \"tiny\", \"resources\": " + resources + "}"),
                "application/json"), 400, "INVALID_ARGUMENT");
        assertJsonError(admin.postRaw("/v1/applications/alpha/processes", json("{\"resources\": " + resources + "}"),
                "application/json"), 400, "INVALID_ARGUMENT");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"vcpu\": 1000}", "{\"memoryMiB\": 1000000}", "{\"memoryMiB\": 100000000000}"})
    void resourcesOverTheBackendCapsAre400(String resources) {
        int before = admin.get("/v1/applications/alpha/processes").json().size();

        assertJsonError(admin.postRaw("/v1/applications", json("{\"name\": \"huge\", \"resources\": " + resources + "}"),
                "application/json"), 400, "INVALID_ARGUMENT");
        assertJsonError(admin.postRaw("/v1/applications/alpha/processes", json("{\"resources\": " + resources + "}"),
                "application/json"), 400, "INVALID_ARGUMENT");

        assertJsonError(admin.get("/v1/applications/huge"), 404, "NOT_FOUND");
        assertThat(admin.get("/v1/applications/alpha/processes").json().size()).isEqualTo(before);
    }

    @ParameterizedTest
    @ValueSource(strings = {"{not json", "[1, 2]", "\"a string\"", "{\"name\": 42}", "{\"name\": [\"x\"]}",
            "{\"name\": \"typed\", \"resources\": \"big\"}",
            "{\"name\": \"typed\", \"resources\": {\"vcpu\": \"two\"}}",
            "{\"name\": \"typed\", \"resources\": {\"vcpu\": 1e400}}",
            "{\"name\": \"typed\", \"resources\": {\"memoryMiB\": 512.5}}",
            "{\"name\": \"typed\", \"limits\": {\"maxProcesses\": \"x\"}}",
            "{\"name\": \"typed\", \"limits\": {\"maxProcesses\": 0}}",
            "{\"name\": \"typed\", \"limits\": 5}",
            "{\"name\": \"typed\", \"swap\": {\"idleSeconds\": -1}}",
            "{\"name\": \"typed\", \"swap\": {\"idleSeconds\": 9223372036854775807}}",
            "{\"name\": \"typed\", \"swap\": \"never\"}"})
    void malformedOrWronglyTypedJsonIs400(String body) {
        String name = "typed-" + Integer.toHexString(body.hashCode());

        Api.Reply r = admin.postRaw("/v1/applications", json(body.replace("typed", name)), "application/json");

        assertJsonError(r, 400, "INVALID_ARGUMENT");
        assertJsonError(admin.get("/v1/applications/" + name), 404, "NOT_FOUND");
    }

    @Test
    void missingBodyOfCreateApplicationIs400() {
        assertJsonError(admin.post("/v1/applications", null), 400, "INVALID_ARGUMENT");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"ttlSeconds\": \"soon\"}", "{\"ttlSeconds\": 0}", "{\"ttlSeconds\": -5}",
            "{\"process\": 7}", "{\"process\": \"Bad_Name\"}", "{broken"})
    void badTokenRequestIs400(String body) {
        assertJsonError(admin.postRaw("/v1/applications/alpha/tokens", json(body), "application/json"), 400,
                "INVALID_ARGUMENT");
    }

    @Test
    void jarThatIsNotAZipIs400() {
        String before = admin.get("/v1/applications/alpha").json().path("code").path("sha256").asText();

        assertJsonError(admin.put("/v1/applications/alpha/code", "not a jar".getBytes(StandardCharsets.UTF_8),
                "application/java-archive"), 400, "INVALID_ARGUMENT");
        assertJsonError(admin.put("/v1/applications/alpha/code", new byte[0], "application/java-archive"), 400,
                "INVALID_ARGUMENT");

        assertThat(admin.get("/v1/applications/alpha").json().path("code").path("sha256").asText()).isEqualTo(before);
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x"})
    void aJsonBodySentAsAFormIsReadAsJson(String contentType) {
        // curl -d sends x-www-form-urlencoded; a form field over 8 KiB failed the decoder with a 500.
        String name = "form-" + Math.abs(contentType.hashCode() % 1000);
        byte[] body = ("{\"name\":\"" + name + "\"," + " ".repeat(20_000) + "\"limits\":{\"maxProcesses\":1}}")
                .getBytes(StandardCharsets.UTF_8);
        try {
            Api.Reply r = admin.postRaw("/v1/applications", body, contentType);

            assertThat(r.status()).as("%s", r).isEqualTo(201);
            assertThat(admin.get("/v1/applications/" + name).json().path("limits").path("maxProcesses").asInt())
                    .isEqualTo(1);
        } finally {
            admin.delete("/v1/applications/" + name);
        }
    }

    @Test
    void jsonBodyOverOneMebibyteIs413() {
        byte[] big = new byte[1024 * 1024 + 1];
        java.util.Arrays.fill(big, (byte) ' ');

        assertJsonError(admin.postRaw("/v1/applications", big, "application/json"), 413, "PAYLOAD_TOO_LARGE");
    }

    @Test
    void invokeBodyOverMaxInvokeBytesIs413() {
        assertThat(admin.invoke(ALPHA, "echo", "", new byte[MAX_INVOKE_BYTES]).status()).isEqualTo(200);

        assertJsonError(admin.invoke(ALPHA, "echo", "", new byte[MAX_INVOKE_BYTES + 1]), 413, "PAYLOAD_TOO_LARGE");
    }

    @Test
    void jarOverMaxCodeBytesIs413() {
        byte[] big = new byte[(int) MAX_CODE_BYTES + 1];
        big[0] = 'P';
        big[1] = 'K';

        assertJsonError(admin.put("/v1/applications/alpha/code", big, "application/java-archive"), 413,
                "PAYLOAD_TOO_LARGE");
    }

    @Test
    void requestsAfterOversizedBodiesAreServed() {
        // The same client, as any keep-alive client would: each 413 is followed at once by a normal
        // request. A POST, which an HTTP client does not silently retry on another connection.
        for (int i = 0; i < 5; i++) {
            assertJsonError(admin.invoke(ALPHA, "echo", "", new byte[MAX_INVOKE_BYTES * 4]), 413, "PAYLOAD_TOO_LARGE");

            Api.Reply next = admin.post("/v1/applications/" + ALPHA + "/tokens", Map.of("ttlSeconds", 60));

            assertThat(next.status()).as("request %d after a 413: %s", i, next).isEqualTo(200);
        }
    }

    @Test
    void unknownStatusFilterIs400() {
        assertJsonError(admin.get("/v1/applications/alpha/processes?status=SLEEPING"), 400, "INVALID_ARGUMENT");
    }

    @ParameterizedTest
    @ValueSource(strings = {"?timeoutMs=soon", "?timeoutMs=0", "?timeoutMs=-1", "?session=abc"})
    void badInvokeParametersAre400(String query) {
        assertJsonError(admin.invoke(ALPHA, "echo", query, new byte[]{1}), 400, "INVALID_ARGUMENT");
    }

    @Test
    @Order(Integer.MAX_VALUE)
    void serverKeepsServingAfterBadInput() {
        // A last burst of everything above, then the normal path.
        admin.authorization(null).get("/v1/applications");
        admin.bearer("wrong").get("/v1/applications");
        admin.postRaw("/v1/applications", json("{not json"), "application/json");
        admin.postRaw("/v1/applications", new byte[2 * 1024 * 1024], "application/json");
        admin.invoke(ALPHA, "echo", "", new byte[MAX_INVOKE_BYTES * 4]);
        admin.put("/v1/applications/alpha/code", new byte[]{1, 2, 3}, "application/java-archive");
        admin.get("/v1/applications/nope/processes/nope");

        Api.Reply health = admin.authorization(null).get("/v1/health");
        Api.Reply invoke = admin.invoke(ALPHA, "echo", "", "still here".getBytes(StandardCharsets.UTF_8));

        assertThat(health.status()).isEqualTo(200);
        assertThat(health.json().path("status").asText()).isEqualTo("UP");
        assertThat(invoke.status()).as("%s", invoke).isEqualTo(200);
        assertThat(invoke.text()).isEqualTo("still here");
    }

    private static String applicationToken(String app, Map<String, Object> request) {
        Api.Reply r = admin.post("/v1/applications/" + app + "/tokens", new HashMap<>(request));
        assertThat(r.status()).as("%s", r).isEqualTo(200);
        assertThat(r.json().path("expiresAt").asText()).isNotBlank();
        return r.json().path("token").asText();
    }

    private static ProcessClient connect(Api.Reply process, String application, String token) {
        return ProcessClient.builder()
                .address(process.json().path("endpoint").path("host").asText(),
                        process.json().path("endpoint").path("port").asInt())
                .application(application)
                .token(token)
                .timeout(Duration.ofSeconds(10))
                .connect();
    }

    private static byte[] json(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
