package io.praas.deploy.fargate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An ECS endpoint on loopback speaking the AWS JSON 1.1 protocol (POST, {@code X-Amz-Target}), for
 * RunTask, DescribeTasks, StopTask and RegisterTaskDefinition. Each task walks through
 * {@link #statuses} one step per DescribeTasks; the knobs answer with failures instead.
 */
final class FakeEcs implements AutoCloseable {
    static final String TARGET_PREFIX = "AmazonEC2ContainerServiceV20141113.";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One request: the action (RunTask, ...) and its JSON body. */
    record Call(String action, JsonNode body) {
    }

    final List<Call> calls = new CopyOnWriteArrayList<>();
    /** The lastStatus a task reports at its 1st, 2nd, ... DescribeTasks (the last one repeats). */
    volatile List<String> statuses = List.of("PROVISIONING", "PENDING", "RUNNING");
    /** RunTask answers this error type ({@code __type}) when set. */
    volatile String runTaskError;
    /** RunTask answers no task and a failure with this reason when set. */
    volatile String runTaskFailure;
    /** DescribeTasks answers this error type ({@code __type}) while {@link #describeErrorsLeft} is positive. */
    volatile String describeError;
    final AtomicInteger describeErrorsLeft = new AtomicInteger();
    /** A STOPPED task reports this stoppedReason. */
    volatile String stoppedReason = "Essential container in task exited";

    private final HttpServer server;
    private final Map<String, AtomicInteger> describes = new ConcurrentHashMap<>();
    private final Map<String, Boolean> stopped = new ConcurrentHashMap<>();
    private final AtomicInteger taskCount = new AtomicInteger();

    FakeEcs() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    List<JsonNode> bodies(String action) {
        return calls.stream().filter(c -> c.action().equals(action)).map(Call::body).toList();
    }

    private void handle(HttpExchange x) throws IOException {
        try (x) {
            String target = x.getRequestHeaders().getFirst("X-Amz-Target");
            String type = x.getRequestHeaders().getFirst("Content-Type");
            if (!"POST".equals(x.getRequestMethod()) || target == null || !target.startsWith(TARGET_PREFIX)
                    || type == null || !type.startsWith("application/x-amz-json-1.1")) {
                answer(x, 400, error("SerializationException", "not an ECS JSON 1.1 request: " + x.getRequestMethod()
                        + " " + target + " " + type));
                return;
            }
            String action = target.substring(TARGET_PREFIX.length());
            JsonNode body = JSON.readTree(x.getRequestBody().readAllBytes());
            calls.add(new Call(action, body));
            switch (action) {
                case "RunTask" -> runTask(x, body);
                case "DescribeTasks" -> describeTasks(x, body);
                case "StopTask" -> stopTask(x, body);
                case "RegisterTaskDefinition" -> register(x, body);
                default -> answer(x, 400, error("InvalidAction", action));
            }
        }
    }

    private void runTask(HttpExchange x, JsonNode body) throws IOException {
        if (runTaskError != null) {
            answer(x, 400, error(runTaskError, "User: arn:aws:iam::123456789012:user/cp is not authorized to perform: "
                    + "ecs:RunTask on resource: " + body.path("taskDefinition").asText()));
            return;
        }
        ObjectNode out = JSON.createObjectNode();
        if (runTaskFailure != null) {
            out.putArray("tasks");
            out.putArray("failures").addObject().put("reason", runTaskFailure)
                    .put("arn", "arn:aws:ecs:us-east-1:123456789012:container-instance/x");
            answer(x, 200, out);
            return;
        }
        String arn = "arn:aws:ecs:us-east-1:123456789012:task/" + body.path("cluster").asText() + "/t" + taskCount.incrementAndGet();
        describes.put(arn, new AtomicInteger());
        out.putArray("tasks").add(task(arn, "PROVISIONING"));
        out.putArray("failures");
        answer(x, 200, out);
    }

    private void describeTasks(HttpExchange x, JsonNode body) throws IOException {
        if (describeError != null && describeErrorsLeft.getAndDecrement() > 0) {
            answer(x, 400, error(describeError, "Rate exceeded"));
            return;
        }
        ObjectNode out = JSON.createObjectNode();
        ArrayNode tasks = out.putArray("tasks");
        ArrayNode failures = out.putArray("failures");
        for (JsonNode a : body.path("tasks")) {
            String arn = a.asText();
            AtomicInteger n = describes.get(arn);
            if (n == null) {
                failures.addObject().put("arn", arn).put("reason", "MISSING");
                continue;
            }
            List<String> script = statuses;
            String status = stopped.containsKey(arn) ? "STOPPED" : script.get(Math.min(n.getAndIncrement(), script.size() - 1));
            tasks.add(task(arn, status));
        }
        answer(x, 200, out);
    }

    private void stopTask(HttpExchange x, JsonNode body) throws IOException {
        String arn = body.path("task").asText();
        if (!describes.containsKey(arn)) {
            answer(x, 400, error("InvalidParameterException", "The referenced task was not found."));
            return;
        }
        stopped.put(arn, true);
        ObjectNode out = JSON.createObjectNode();
        out.set("task", task(arn, "RUNNING").put("desiredStatus", "STOPPED"));
        answer(x, 200, out);
    }

    private void register(HttpExchange x, JsonNode body) throws IOException {
        ObjectNode def = ((ObjectNode) body.deepCopy());
        def.put("revision", 1).put("status", "ACTIVE")
                .put("taskDefinitionArn", "arn:aws:ecs:us-east-1:123456789012:task-definition/" + body.path("family").asText() + ":1");
        ObjectNode out = JSON.createObjectNode();
        out.set("taskDefinition", def);
        answer(x, 200, out);
    }

    private ObjectNode task(String arn, String status) {
        ObjectNode t = JSON.createObjectNode().put("taskArn", arn).put("lastStatus", status)
                .put("desiredStatus", status.equals("STOPPED") ? "STOPPED" : "RUNNING").put("launchType", "FARGATE");
        ObjectNode eni = t.putArray("attachments").addObject().put("type", "ElasticNetworkInterface")
                .put("status", status.equals("PROVISIONING") ? "PRECREATED" : "ATTACHED");
        ArrayNode details = eni.putArray("details");
        details.addObject().put("name", "subnetId").put("value", "subnet-1");
        if (!status.equals("PROVISIONING")) {
            details.addObject().put("name", "privateIPv4Address").put("value", "10.0.1." + arn.substring(arn.lastIndexOf('t') + 1));
        }
        if (status.equals("STOPPED")) {
            t.put("stoppedReason", stoppedReason).put("stopCode", "TaskFailedToStart");
        }
        return t;
    }

    private static ObjectNode error(String type, String message) {
        return JSON.createObjectNode().put("__type", type).put("message", message);
    }

    private static void answer(HttpExchange x, int status, JsonNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        x.getResponseHeaders().set("Content-Type", "application/x-amz-json-1.1");
        x.sendResponseHeaders(status, bytes.length);
        x.getResponseBody().write(bytes);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
