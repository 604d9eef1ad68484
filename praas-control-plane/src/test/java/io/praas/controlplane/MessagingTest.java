package io.praas.controlplane;

import io.praas.controlplane.registry.ProcessStatus;
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
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static io.praas.controlplane.ControlPlanes.eventually;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Process-to-process messaging and collectives end to end: a control plane on the embedded
 * defaults, eight processes of one application as OS processes, functions of the test application
 * that send, receive and run collectives, invoked through the REST API. Messages travel directly
 * between the processes over their data planes.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MessagingTest {
    private static final String APP = "chatty";
    private static final int PROCESSES = 8;

    @TempDir
    static Path dataDir;
    private static ControlPlane cp;
    private static Api api;
    private static final ExecutorService callers = Executors.newCachedThreadPool();

    @BeforeAll
    static void startEightProcesses() {
        cp = ControlPlane.start(ControlPlanes.options(dataDir).config());
        api = Api.admin(cp);
        SwapApp.deploy(api, APP, Map.of("resources", Map.of("vcpu", 1, "memoryMiB", 192),
                "limits", Map.of("maxProcesses", PROCESSES + 1)));
        for (int i = 0; i < PROCESSES; i++) {
            Api.Reply r = api.post("/v1/applications/" + APP + "/processes", Map.of("name", id(i)));
            assertThat(r.status()).as("create %s: %s", id(i), r).isEqualTo(201);
        }
    }

    @AfterAll
    static void stopAll() {
        callers.shutdownNow();
        if (cp != null) {
            cp.close();
        }
    }

    private static String id(int i) {
        return "m-" + i;
    }

    private static Api.Reply invoke(String process, String function, String input) {
        return api.invoke(APP, function, "?process=" + process, input.getBytes(StandardCharsets.UTF_8));
    }

    /** Invokes and expects success; returns the output as text. */
    private static String call(String process, String function, String input) {
        Api.Reply r = invoke(process, function, input);
        assertThat(r.status()).as("%s on %s(%s): %s", function, process, input, r).isEqualTo(200);
        return r.text();
    }

    @Test
    @Order(1)
    void everyProcessIsToldOfItsWholeWorld() {
        String expected = IntStream.range(0, PROCESSES).mapToObj(i -> id(i) + "=ACTIVE").sorted()
                .collect(Collectors.joining(","));
        for (int i = 0; i < PROCESSES; i++) {
            String process = id(i);
            eventually(Duration.ofSeconds(10), () -> call(process, "world", ""), expected::equals,
                    "the world of " + process);
        }
    }

    @Test
    @Order(2)
    void theWorldIsPushedAgainWhenAProcessJoinsAndWhenItLeaves() {
        Api.Reply r = api.post("/v1/applications/" + APP + "/processes", Map.of("name", "m-extra"));
        assertThat(r.status()).as("%s", r).isEqualTo(201);
        try {
            eventually(Duration.ofSeconds(10), () -> call(id(0), "world", ""), w -> w.contains("m-extra=ACTIVE"),
                    "m-extra in the world of " + id(0));
            assertThat(call("m-extra", "world", "")).contains(id(7) + "=ACTIVE");
        } finally {
            api.delete("/v1/applications/" + APP + "/processes/m-extra");
        }
        eventually(Duration.ofSeconds(10), () -> call(id(0), "world", ""), w -> !w.contains("m-extra"),
                "m-extra gone from the world of " + id(0));
    }

    @Test
    @Order(2)
    void aMessageSentIsReceivedByItsReceiver() {
        assertThat(call(id(1), "send", id(2) + "|greeting|hello from one")).isEqualTo("sent 1");

        assertThat(call(id(2), "receive", id(1) + "|greeting|5000")).isEqualTo(id(1) + "|hello from one");
    }

    @Test
    @Order(3)
    void receiveFromAnyTakesEachSendersMessage() {
        call(id(3), "send", id(5) + "|any|three");
        call(id(4), "send", id(5) + "|any|four");

        Set<String> got = new HashSet<>();
        got.add(call(id(5), "receive", "*|any|5000"));
        got.add(call(id(5), "receive", "*|any|5000"));
        assertThat(got).containsExactlyInAnyOrder(id(3) + "|three", id(4) + "|four");
    }

    @Test
    @Order(4)
    void messagesOfOneSenderAndKeyArriveInOrder() {
        assertThat(call(id(6), "send", id(7) + "|ordered|m|40")).isEqualTo("sent 40");
        call(id(5), "send", id(7) + "|ordered|other");

        List<String> got = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            got.add(call(id(7), "receive", id(6) + "|ordered|5000"));
        }
        assertThat(got).containsExactlyElementsOf(IntStream.range(0, 40).mapToObj(i -> id(6) + "|m#" + i).toList());
        assertThat(call(id(7), "receive", "*|ordered|5000")).isEqualTo(id(5) + "|other");
    }

    @Test
    @Order(5)
    void messagesHaveTheirOwnNamespaceApartFromState() {
        call(id(0), "putState", "shared=state value");
        call(id(1), "send", id(0) + "|shared|message value");

        assertThat(call(id(0), "getState", "shared")).isEqualTo("state value");
        assertThat(call(id(0), "receive", "*|shared|5000")).isEqualTo(id(1) + "|message value");
        assertThat(call(id(0), "getState", "shared")).isEqualTo("state value");
    }

    @Test
    @Order(6)
    void aReceiveWithNoMessageTimesOut() {
        Api.Reply r = invoke(id(2), "receive", id(1) + "|never-sent|300");

        assertThat(r.status()).as("%s", r).isEqualTo(500);
        assertThat(r.text()).contains("TIMEOUT", "never-sent");
    }

    @Test
    @Order(7)
    void aLargeMessageArrivesWhole() {
        int size = 8 * 1024 * 1024;
        String sha = call(id(3), "sendLarge", id(4) + "|large|" + size);

        assertThat(call(id(4), "receive", id(3) + "|large|10000")).isEqualTo(id(3) + "|" + size + "|" + sha);
    }

    @Test
    @Order(8)
    void aMessageToAnUnknownProcessFailsClearly() {
        Api.Reply r = invoke(id(0), "send", "nobody|k|hi");

        assertThat(r.status()).isEqualTo(500);
        assertThat(r.text()).contains("INVALID_ARGUMENT", "no process 'nobody'");
    }

    @Test
    @Order(9)
    void aFunctionInvokesAFunctionOfAnotherProcess() {
        assertThat(call(id(1), "invokeOther", id(6) + "|putState|color=teal")).isEqualTo("ok");

        assertThat(call(id(6), "getState", "color")).isEqualTo("teal");
    }

    @Test
    @Order(10)
    void aMessageToASwappedOutProcessSwapsItInAndIsDelivered() {
        Api.Reply created = api.post("/v1/applications/" + APP + "/processes", Map.of("name", "sleeper"));
        assertThat(created.status()).as("%s", created).isEqualTo(201);
        call(id(0), "send", "sleeper|inbox|before the swap");
        Api.Reply swapped = api.post("/v1/applications/" + APP + "/processes/sleeper/swap", null);
        assertThat(swapped.status()).as("%s", swapped).isEqualTo(200);
        assertThat(cp.lifecycle().process(APP, "sleeper").status()).isEqualTo(ProcessStatus.SWAPPED_OUT);

        assertThat(call(id(0), "send", "sleeper|inbox|while swapped out")).isEqualTo("sent 1");

        assertThat(cp.lifecycle().process(APP, "sleeper").status()).isEqualTo(ProcessStatus.ACTIVE);
        assertThat(call("sleeper", "receive", id(0) + "|inbox|5000")).isEqualTo(id(0) + "|before the swap");
        assertThat(call("sleeper", "receive", id(0) + "|inbox|5000")).isEqualTo(id(0) + "|while swapped out");
        assertThat(api.delete("/v1/applications/" + APP + "/processes/sleeper").status()).isEqualTo(204);
    }

    /** Runs one collective on every member at once; returns each member's output, by rank. */
    private static List<Api.Reply> collective(List<String> members, String op, long timeoutMs,
                                              java.util.function.IntFunction<String> value) throws Exception {
        String group = String.join(",", members);
        List<Future<Api.Reply>> calls = new ArrayList<>();
        for (int r = 0; r < members.size(); r++) {
            String input = op + "|" + group + "|" + timeoutMs + "|" + value.apply(r);
            String member = members.get(r);
            calls.add(callers.submit(() -> invoke(member, "collective", input)));
        }
        List<Api.Reply> replies = new ArrayList<>();
        for (Future<Api.Reply> c : calls) {
            replies.add(c.get(60, TimeUnit.SECONDS));
        }
        return replies;
    }

    private static List<String> outputs(List<Api.Reply> replies) {
        assertThat(replies).allSatisfy(r -> assertThat(r.status()).as("%s", r).isEqualTo(200));
        return replies.stream().map(Api.Reply::text).toList();
    }

    private static List<String> members(int n) {
        // Not in id order, so ranks and ids differ.
        List<String> m = new ArrayList<>(IntStream.range(0, n).mapToObj(MessagingTest::id).toList());
        java.util.Collections.reverse(m);
        return m;
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 5, 8})
    @Order(20)
    void collectivesOverGroupsOfTwoThreeFiveAndEight(int n) throws Exception {
        List<String> group = members(n);
        long sum = (long) n * (n + 1) / 2;

        assertThat(outputs(collective(group, "allreduce-sum", 20_000, r -> String.valueOf(r + 1))))
                .containsOnly("[" + sum + ", " + n + "]");
        assertThat(outputs(collective(group, "allreduce-doubles", 20_000, r -> String.valueOf(r * 2.0))))
                .containsOnly("[" + (n - 1) * 2.0 + ", " + (n - 1) + ".0]");
        assertThat(outputs(collective(group, "allreduce-concat", 20_000, group::get)))
                .containsOnly(String.join("", group));
        List<String> reduced = outputs(collective(group, "reduce-max", 20_000, r -> String.valueOf(r * 7)));
        assertThat(reduced.get(n - 1)).isEqualTo(String.valueOf((n - 1) * 7));
        assertThat(reduced.subList(0, n - 1)).containsOnly("null");
        assertThat(outputs(collective(group, "broadcast", 20_000, group::get)))
                .containsOnly("from-" + group.get(1 % n));
        List<String> gathered = outputs(collective(group, "gather", 20_000, r -> "v" + r));
        assertThat(gathered.get(0)).isEqualTo(IntStream.range(0, n).mapToObj(r -> "v" + r).collect(Collectors.joining(",")));
        assertThat(gathered.subList(1, n)).containsOnly("");
        assertThat(outputs(collective(group, "barrier", 20_000, r -> ""))).containsOnly("ok");
        assertThat(outputs(collective(group, "repeat-allreduce", 20_000, r -> "10")))
                .containsOnly(String.join(" ", java.util.Collections.nCopies(10, String.valueOf(n))));
    }

    @Test
    @Order(25)
    void aGroupStaysInStepWhenAMemberSwapsOutBetweenOperations() throws Exception {
        List<String> group = List.of(id(6), id(5));
        assertThat(outputs(collective(group, "allreduce-sum", 20_000, r -> "1"))).containsOnly("[2, 2]");
        Api.Reply swapped = api.post("/v1/applications/" + APP + "/processes/" + id(6) + "/swap", null);
        assertThat(swapped.status()).as("%s", swapped).isEqualTo(200);

        // The invocation swaps m-6 in; its sequence numbers came back with its process state.
        assertThat(outputs(collective(group, "allreduce-sum", 20_000, r -> "2"))).containsOnly("[4, 2]");
        assertThat(cp.lifecycle().process(APP, id(6)).status()).isEqualTo(ProcessStatus.ACTIVE);
    }

    @Test
    @Order(30)
    void aMemberThatIsMissingTimesTheCollectiveOutWithAClearError() throws Exception {
        List<String> group = List.of(id(5), id(6), id(7));
        String input = "allreduce-sum|" + String.join(",", group) + "|1500|1";
        long start = System.nanoTime();
        List<Future<Api.Reply>> calls = new ArrayList<>();
        for (String member : group.subList(0, 2)) {
            calls.add(callers.submit(() -> invoke(member, "collective", input)));
        }
        List<Api.Reply> replies = new ArrayList<>();
        for (Future<Api.Reply> c : calls) {
            replies.add(c.get(30, TimeUnit.SECONDS));
        }
        // Only two of the three members called: both fail, neither hangs.
        assertThat(replies).allSatisfy(r -> {
            assertThat(r.status()).as("%s", r).isEqualTo(500);
            assertThat(r.text()).containsAnyOf("TIMEOUT", "PROCESS_UNAVAILABLE");
        });
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
    }

    @Test
    @Order(40)
    void aMemberThatDiesMidCollectiveFailsTheOthersPromptly() throws Exception {
        // Its own group (fresh sequence numbers), the victim last; runs last: the victim is killed.
        List<String> group = List.of(id(0), id(1), id(2), id(3), id(4));
        String victim = id(4);
        String input = "allreduce-sum|" + String.join(",", group) + "|60000|1";
        List<Future<Api.Reply>> calls = new ArrayList<>();
        for (String member : group.subList(0, 4)) {
            calls.add(callers.submit(() -> invoke(member, "collective", input)));
        }
        Thread.sleep(500);
        long start = System.nanoTime();
        ControlPlanes.osProcess(cp, APP, victim).destroyForcibly();

        for (Future<Api.Reply> c : calls) {
            Api.Reply r = c.get(30, TimeUnit.SECONDS);
            assertThat(r.status()).as("%s", r).isEqualTo(500);
            assertThat(r.text()).contains("PROCESS_UNAVAILABLE", victim);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("well before the 60 s collective timeout")
                .isLessThan(Duration.ofSeconds(20));
    }
}
